namespace Consortia.Privacy.Accounting;

/// <summary>The result of a noise calibration.</summary>
/// <param name="NoiseMultiplier">
/// The noise multiplier found: it meets the target, and every multiplier below
/// NoiseMultiplier·(1 − tolerance) does not (unless <paramref name="AtLowerBound"/>).
/// </param>
/// <param name="Guarantee">The guarantee achieved at <paramref name="NoiseMultiplier"/> (ε ≤ target).</param>
/// <param name="Evaluations">How many ε evaluations the search used.</param>
/// <param name="AtLowerBound">
/// Whether the lower end of the search bracket already meets the target, in which case it is returned and smaller
/// multipliers were not explored.
/// </param>
public sealed record NoiseCalibration(double NoiseMultiplier, PrivacyGuarantee Guarantee, int Evaluations, bool AtLowerBound);
