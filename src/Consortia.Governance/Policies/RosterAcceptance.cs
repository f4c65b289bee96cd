namespace Consortia.Governance.Policies;

/// <summary>How a node accepts a consortium roster the coordinator proposes (policy <c>roster.accept</c>).</summary>
public enum RosterAcceptance
{
    /// <summary>An operator accepts each roster with <c>consortia roster accept</c> after comparing its hash out of band.</summary>
    Manual,

    /// <summary>A roster whose join signatures verify is accepted when it only adds members; removals and re-keyed members still need an operator.</summary>
    Automatic,
}
