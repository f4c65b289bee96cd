namespace Consortia.Governance.Audit.Events;

/// <summary>The kinds of audit ledger entries; their stable text names are in <see cref="LedgerEventTypeNames"/>.</summary>
public enum LedgerEventType
{
    /// <summary>A job manifest arrived (<c>job-received</c>).</summary>
    JobReceived,

    /// <summary>The site policy decided on a job or a round (<c>policy-decision</c>).</summary>
    PolicyDecision,

    /// <summary>The site trained locally for a round (<c>round-trained</c>).</summary>
    RoundTrained,

    /// <summary>The site sent an update (<c>update-sent</c>).</summary>
    UpdateSent,

    /// <summary>The privacy accountant charged ε (<c>privacy-charge</c>).</summary>
    PrivacyCharge,

    /// <summary>A new global model (aggregate) arrived at a site or was produced by the coordinator (<c>aggregate-received</c>).</summary>
    AggregateReceived,

    /// <summary>A trained model was released (<c>model-released</c>).</summary>
    ModelReleased,

    /// <summary>Configuration (policy, keys, software) changed (<c>configuration-change</c>).</summary>
    ConfigurationChange,

    /// <summary>The coordinator completed a round, with the update hashes the sites reported (<c>round-completed</c>).</summary>
    RoundCompleted,

    /// <summary>A red-team report was produced, with its hash and settings (<c>redteam-report</c>).</summary>
    RedTeamReport,

    /// <summary>A fairness audit released per-group counts (site) or reported on them (coordinator) (<c>fairness-audit</c>).</summary>
    FairnessAudit,
}
