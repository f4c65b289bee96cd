namespace Consortia.Assurance.Reconstruction;

/// <summary>What the MLP gradient-inversion attack recovered.</summary>
/// <param name="Features">One recovered feature vector per guessed record (in no particular order: a batch gradient does not tell the order).</param>
/// <param name="Labels">The recovered 0/1 label of each guessed record.</param>
/// <param name="MatchingLoss">The final gradient-matching loss of the kept guess (0: the guess explains the observed gradient exactly).</param>
public sealed record MlpInversionResult(IReadOnlyList<double[]> Features, IReadOnlyList<int> Labels, double MatchingLoss);
