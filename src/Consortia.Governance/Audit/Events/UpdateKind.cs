namespace Consortia.Governance.Audit.Events;

/// <summary>How an update that left a site was protected.</summary>
public enum UpdateKind
{
    /// <summary>Masked by secure aggregation (written <c>masked</c>).</summary>
    Masked,

    /// <summary>Unmasked (written <c>plain</c>).</summary>
    Plain,
}
