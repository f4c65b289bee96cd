namespace Consortia.Privacy.Budget;

/// <summary>One accepted charge as stored in the ledger.</summary>
/// <param name="Sequence">The charge's sequence number in the ledger (increasing).</param>
/// <param name="JobId">The job.</param>
/// <param name="Round">The round within the job.</param>
/// <param name="Mechanism">The mechanism's name (<c>sampled_gaussian</c> or the caller's name).</param>
/// <param name="ParametersJson">The mechanism's parameters as JSON.</param>
/// <param name="Epsilon">ε of this charge alone at the site's δ.</param>
/// <param name="ChargeDelta">For (ε, δ) charges, their δ; null for RDP charges.</param>
/// <param name="Rdp">For RDP charges, R(α) per order of the ledger's grid; null for (ε, δ) charges.</param>
/// <param name="CumulativeEpsilon">The site's lifetime ε (all jobs) right after this charge.</param>
/// <param name="ChargedAt">When the charge was recorded (from the ledger's <see cref="TimeProvider"/>).</param>
public sealed record ChargeRecord(
    long Sequence,
    string JobId,
    int Round,
    string Mechanism,
    string ParametersJson,
    double Epsilon,
    double? ChargeDelta,
    IReadOnlyList<double>? Rdp,
    double CumulativeEpsilon,
    DateTimeOffset ChargedAt);
