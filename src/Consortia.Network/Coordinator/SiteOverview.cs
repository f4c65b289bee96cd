using System.Globalization;
using Consortia.Network.Protos;

namespace Consortia.Network.Coordinator;

/// <summary>A site as the coordinator sees it (what <c>consortia site list</c> shows beside its certificates).</summary>
/// <param name="Site">The site.</param>
/// <param name="Connected">Whether its node holds a work stream open now.</param>
/// <param name="LastSeen">When the coordinator last heard from it (UTC), or <see langword="null"/>.</param>
/// <param name="ConnectedSince">When its current or last stream opened (UTC), or <see langword="null"/>.</param>
/// <param name="NodeVersion">The node software's version it reported.</param>
/// <param name="Capacity">How many tasks it runs at once (0: not reported).</param>
/// <param name="Jobs">The running jobs it takes part in.</param>
/// <param name="Consortia">The consortia of those jobs.</param>
public sealed record SiteOverview(
    string Site, bool Connected, DateTimeOffset? LastSeen, DateTimeOffset? ConnectedSince, string NodeVersion, int Capacity, IReadOnlyList<string> Jobs, IReadOnlyList<string> Consortia)
{
    /// <summary>The fingerprint of the roster key the site enrolled (or last renewed) with; empty when it sent none.</summary>
    public string RosterKey { get; init; } = "";

    internal static SiteOverview FromWire(SiteState state) => new(
        state.Site, state.Connected, Time(state.LastSeen), Time(state.ConnectedSince), state.NodeVersion, state.Capacity, [.. state.Jobs], [.. state.Consortia])
    {
        RosterKey = state.RosterKey,
    };

    private static DateTimeOffset? Time(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at) ? at : null;
}
