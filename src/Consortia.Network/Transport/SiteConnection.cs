using Consortia.Federation;

namespace Consortia.Network.Transport;

/// <summary>A site's connection as the coordinator sees it (what <c>consortia site list</c> shows).</summary>
/// <param name="Site">The site.</param>
/// <param name="Connected">Whether its work stream is open now.</param>
/// <param name="LastSeen">When it last opened or closed its stream, sent a heartbeat or a reply (UTC).</param>
/// <param name="ConnectedSince">When its current (or last) stream opened, or <see langword="null"/>.</param>
/// <param name="NodeVersion">The node software's version it reported.</param>
/// <param name="Capacity">How many tasks it runs at once, as it reported (0: not reported).</param>
/// <param name="Jobs">The running jobs it takes part in.</param>
/// <param name="Consortia">The consortia of those jobs.</param>
internal sealed record SiteConnection(
    SiteId Site, bool Connected, DateTimeOffset LastSeen, DateTimeOffset? ConnectedSince, string NodeVersion, int Capacity, IReadOnlyList<string> Jobs, IReadOnlyList<string> Consortia);
