namespace Consortia.Governance.Audit.Events;

/// <summary>What a <see cref="FairnessAuditEvent"/>'s hash is of.</summary>
public enum FairnessRelease
{
    /// <summary>A site's count vector, sent as it is (the job does not use secure aggregation).</summary>
    Plain,

    /// <summary>A site's masked secure-aggregation input of its count vector.</summary>
    Masked,

    /// <summary>The coordinator's report, computed from the summed counts.</summary>
    Report,
}
