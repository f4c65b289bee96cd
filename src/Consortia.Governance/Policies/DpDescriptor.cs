namespace Consortia.Governance.Policies;

/// <summary>The differential-privacy settings a job declares.</summary>
/// <param name="Mode">Sample-level or client-level.</param>
/// <param name="Epsilon">The total ε the job will spend at each site (its target or cap).</param>
/// <param name="Delta">The δ of the guarantee.</param>
public sealed record DpDescriptor(DpMode Mode, double Epsilon, double Delta)
{
    /// <summary>
    /// Client-level DP whose noise the coordinator adds after it sees the sum (the job's <c>trusted_coordinator</c>, or
    /// no secure aggregation), rather than each site adding its share before masking (distributed DP).
    /// </summary>
    public bool CentralNoise { get; init; }
}
