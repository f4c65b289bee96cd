namespace Consortia.Federation.Tuning;

/// <summary>The cross-validated score of one candidate configuration.</summary>
/// <param name="Settings">The overrides that define the candidate (key = value).</param>
/// <param name="Score">Mean over every (repeat, fold) of the mean over sites of the held-out metric.</param>
/// <param name="FoldScores">The per-(repeat, fold) scores, repeat-major.</param>
public sealed record CrossValidationResult(IReadOnlyList<KeyValuePair<string, string>> Settings, double Score, IReadOnlyList<double> FoldScores)
{
    /// <summary>The standard error of <see cref="Score"/>: the sd of the finite fold scores over the square root of their count.</summary>
    public double StandardError
    {
        get
        {
            double[] finite = [.. FoldScores.Where(double.IsFinite)];
            if (finite.Length < 2)
            {
                return double.NaN;
            }

            double mean = finite.Average();
            return Math.Sqrt(finite.Sum(x => (x - mean) * (x - mean)) / (finite.Length - 1) / finite.Length);
        }
    }
}
