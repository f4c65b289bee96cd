namespace Consortia.Governance.Roster;

/// <summary>How a proposed roster differs from the one a node accepted before.</summary>
/// <param name="Added">Sites that join.</param>
/// <param name="Removed">Sites that leave.</param>
/// <param name="Rekeyed">Sites whose signing key changes: never accepted automatically, since it is exactly what a coordinator minting a puppet would propose.</param>
public sealed record RosterChanges(IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> Rekeyed)
{
    /// <summary>Whether the rosters have the same members with the same keys.</summary>
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Rekeyed.Count == 0;

    /// <summary>Whether the change only adds members (what automatic acceptance allows).</summary>
    public bool OnlyAdds => Removed.Count == 0 && Rekeyed.Count == 0;

    /// <inheritdoc/>
    public override string ToString() =>
        IsEmpty ? "no change" : string.Join("; ", new[] { Part("added", Added), Part("removed", Removed), Part("re-keyed", Rekeyed) }.Where(p => p.Length > 0));

    private static string Part(string what, IReadOnlyList<string> sites) => sites.Count == 0 ? string.Empty : $"{what}: {string.Join(", ", sites)}";
}
