using System.Globalization;
using Consortia.Federation;

namespace Consortia.Network.Coordinator;

/// <summary>
/// Which node process holds each site's work stream. A site identity belongs to one node: while one process
/// (its random instance id) holds the stream, a second process presenting the same certificate is refused
/// with a message that says so, instead of the two replacing each other's stream forever. The holder
/// reconnecting (same instance) replaces its own older stream; once the holder's stream ends (the node
/// stopped, or its dead link was found by the HTTP/2 keep-alive pings) the next node may claim the site.
/// </summary>
/// <param name="time">The clock for the time a claim began (shown in the refusal).</param>
internal sealed class NodeClaims(TimeProvider time)
{
    private readonly Dictionary<SiteId, Claim> _claims = [];
    private readonly Lock _gate = new();

    /// <summary>Claims <paramref name="site"/> for <paramref name="instance"/>.</summary>
    /// <param name="site">The site of the caller's certificate.</param>
    /// <param name="instance">The node process's instance id (empty for nodes that send none: they always replace).</param>
    /// <param name="peer">The caller's address, for the message.</param>
    /// <param name="problem">Why the claim is refused.</param>
    /// <returns>A token to release the claim with, or null when another instance holds the site.</returns>
    public object? TryClaim(SiteId site, string instance, string peer, out string problem)
    {
        lock (_gate)
        {
            if (instance.Length > 0
                && _claims.TryGetValue(site, out Claim? held)
                && held.Instance.Length > 0
                && !string.Equals(held.Instance, instance, StringComparison.Ordinal))
            {
                problem = string.Create(CultureInfo.InvariantCulture,
                    $"site '{site}' is already connected from another node (node {held.Instance} at {held.Peer}, since {held.Since:yyyy-MM-dd HH:mm:ss}Z); two nodes are using the identity of site '{site}'. This connection (node {instance} at {peer}) is refused: stop one of them, or enroll the second as a site of its own.");
                return null;
            }

            Claim claim = new(instance, peer, time.GetUtcNow());
            _claims[site] = claim;
            problem = "";
            return claim;
        }
    }

    /// <summary>Releases a claim when its stream ends (a newer claim of the same site stays).</summary>
    public void Release(SiteId site, object claim)
    {
        lock (_gate)
        {
            if (_claims.TryGetValue(site, out Claim? held) && ReferenceEquals(held, claim))
            {
                _claims.Remove(site);
            }
        }
    }

    private sealed record Claim(string Instance, string Peer, DateTimeOffset Since);
}
