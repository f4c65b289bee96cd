using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Consortia.Dashboard.Access;

/// <summary>
/// Browser sessions after a login with the admin token: each a random 256-bit id in an HttpOnly, SameSite=Strict
/// cookie. The cookie is not the token, so a stolen cookie dies with its session (and with the process) and never
/// reveals the credential.
/// </summary>
/// <remarks>Only the SHA-256 of each id is kept, so a memory dump of the table yields no usable cookie. Thread-safe.</remarks>
internal sealed class DashboardSessions(TimeProvider time, TimeSpan lifetime)
{
    public const string CookieName = "consortia_dashboard";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);

    /// <summary>Opens a session.</summary>
    /// <returns>The cookie value and when it expires.</returns>
    public (string Id, DateTimeOffset Expires) Open()
    {
        Sweep();
        string id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        DateTimeOffset expires = time.GetUtcNow() + lifetime;
        _expiries[Key(id)] = expires;
        return (id, expires);
    }

    /// <summary>Whether <paramref name="id"/> is an open session.</summary>
    public bool IsOpen(string? id) =>
        !string.IsNullOrEmpty(id) && _expiries.TryGetValue(Key(id), out DateTimeOffset expires) && expires > time.GetUtcNow();

    /// <summary>Ends a session (logout).</summary>
    public void Close(string? id)
    {
        if (!string.IsNullOrEmpty(id))
        {
            _expiries.TryRemove(Key(id), out _);
        }
    }

    private void Sweep()
    {
        DateTimeOffset now = time.GetUtcNow();
        foreach (KeyValuePair<string, DateTimeOffset> session in _expiries)
        {
            if (session.Value <= now)
            {
                _expiries.TryRemove(session.Key, out _);
            }
        }
    }

    private static string Key(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
}
