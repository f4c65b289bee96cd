namespace Consortia.Governance.Policies;

/// <summary>The differential-privacy settings a job declares.</summary>
/// <param name="Mode">Sample-level or client-level.</param>
/// <param name="Epsilon">The total ε the job will spend at each site (its target or cap).</param>
/// <param name="Delta">The δ of the guarantee.</param>
public sealed record DpDescriptor(DpMode Mode, double Epsilon, double Delta);
