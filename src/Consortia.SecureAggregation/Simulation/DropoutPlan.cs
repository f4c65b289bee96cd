namespace Consortia.SecureAggregation.Simulation;

/// <summary>
/// Which simulated participants stop answering, and when (the four drop points of design reference §2.5,
/// plus the consistency round of malicious-server mode). A participant dropped at one stage stays silent afterwards.
/// </summary>
public sealed record DropoutPlan
{
    /// <summary>A plan without dropouts.</summary>
    public static DropoutPlan None { get; } = new();

    /// <summary>Participants that never advertise keys (∉ U1).</summary>
    /// <value>Default empty.</value>
    public IReadOnlySet<ParticipantIndex> BeforeAdvertising { get; init; } = new HashSet<ParticipantIndex>();

    /// <summary>Participants that advertise keys but send no shares (∈ U1 \ U2).</summary>
    /// <value>Default empty.</value>
    public IReadOnlySet<ParticipantIndex> BeforeSharing { get; init; } = new HashSet<ParticipantIndex>();

    /// <summary>Participants that share keys but send no masked input (∈ U2 \ U3: excluded, pairwise masks removed from their private keys).</summary>
    /// <value>Default empty.</value>
    public IReadOnlySet<ParticipantIndex> BeforeMasking { get; init; } = new HashSet<ParticipantIndex>();

    /// <summary>Malicious-server mode: participants that send their masked input but do not sign the survivor list.</summary>
    /// <value>Default empty.</value>
    public IReadOnlySet<ParticipantIndex> BeforeConsistency { get; init; } = new HashSet<ParticipantIndex>();

    /// <summary>Participants that send their masked input but reveal no shares (∈ U3 \ U5: still included in the sum).</summary>
    /// <value>Default empty.</value>
    public IReadOnlySet<ParticipantIndex> BeforeUnmasking { get; init; } = new HashSet<ParticipantIndex>();
}
