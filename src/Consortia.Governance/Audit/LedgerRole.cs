namespace Consortia.Governance.Audit;

/// <summary>Who writes a ledger.</summary>
public enum LedgerRole
{
    /// <summary>The coordinator of a consortium (written <c>coordinator</c>).</summary>
    Coordinator,

    /// <summary>A member site (written <c>site</c>); its writer id is the site id.</summary>
    Site,
}
