namespace Consortia.Federation.Tuning;

/// <summary>The cross-validated score of one candidate configuration.</summary>
/// <param name="Settings">The overrides that define the candidate (key = value).</param>
/// <param name="Score">Mean over folds of the mean over sites of the held-out metric.</param>
/// <param name="FoldScores">The per-fold scores.</param>
public sealed record CrossValidationResult(IReadOnlyList<KeyValuePair<string, string>> Settings, double Score, IReadOnlyList<double> FoldScores);
