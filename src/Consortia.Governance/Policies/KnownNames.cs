namespace Consortia.Governance.Policies;

/// <summary>The model kinds, strategies and output kinds a site policy can name.</summary>
public static class KnownNames
{
    /// <summary>Model kinds: logistic regression, multilayer perceptron, Cox proportional hazards.</summary>
    public static IReadOnlyList<string> ModelKinds { get; } = ["logistic", "mlp", "cox"];

    /// <summary>Aggregation strategies.</summary>
    public static IReadOnlyList<string> Strategies { get; } =
        ["fedavg", "fedprox", "scaffold", "fedadam", "fedyogi", "fedadagrad", "fedavgm", "cyclic", "qffl", "median", "trimmed-mean", "krum", "multi-krum"];

    /// <summary>Outputs a job may declare; anything starting with <see cref="PerPatientPrefix"/> is never allowed.</summary>
    public static IReadOnlyList<string> Outputs { get; } = [MaskedUpdates, PlainUpdates, AggregateMetrics];

    /// <summary>Model updates protected by secure-aggregation masks.</summary>
    public const string MaskedUpdates = "masked-updates";

    /// <summary>Model updates sent without masks (the coordinator sees each site's update).</summary>
    public const string PlainUpdates = "plain-updates";

    /// <summary>Aggregate metrics (counts, losses, accuracies) computed over many patients.</summary>
    public const string AggregateMetrics = "aggregate-metrics";

    /// <summary>The prefix of per-patient outputs (predictions, embeddings, residuals per record), which no policy allows.</summary>
    public const string PerPatientPrefix = "per-patient";

    /// <summary>Whether <paramref name="name"/> is a known model kind (case-insensitive).</summary>
    /// <param name="name">The name to check.</param>
    /// <returns><see langword="true"/> for a known model kind.</returns>
    public static bool IsModelKind(string name) => Contains(ModelKinds, name);

    /// <summary>Whether <paramref name="name"/> is a known strategy (case-insensitive).</summary>
    /// <param name="name">The name to check.</param>
    /// <returns><see langword="true"/> for a known strategy.</returns>
    public static bool IsStrategy(string name) => Contains(Strategies, name);

    internal static bool Contains(IReadOnlyList<string> list, string name)
    {
        foreach (string item in list)
        {
            if (string.Equals(item, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
