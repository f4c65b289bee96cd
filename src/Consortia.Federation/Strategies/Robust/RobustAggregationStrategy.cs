using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Learning;

namespace Consortia.Federation.Strategies.Robust;

/// <summary>
/// Byzantine-robust aggregation of individual site updates: coordinate-wise median, trimmed mean, Krum and
/// Multi-Krum. Applies to each site's unweighted update Δᵢ = (weighted update) / weight.
/// </summary>
/// <remarks>
/// Yin, D., Chen, Y., Ramchandran, K., Bartlett, P. (2018), "Byzantine-Robust Distributed Learning: Towards
/// Optimal Statistical Rates", ICML (median, trimmed mean). Blanchard, P., El Mhamdi, E. M., Guerraoui, R.,
/// Stainer, J. (2017), "Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS
/// (Krum, Multi-Krum). These rules need every individual update, so a job that combines them with secure
/// aggregation is refused when it is loaded.
/// </remarks>
public sealed class RobustAggregationStrategy : IStrategy
{
    private readonly RobustOptions _options;

    /// <summary>Creates the strategy.</summary>
    /// <param name="options">The options.</param>
    public RobustAggregationStrategy(RobustOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public StrategyTraits Traits { get; } = new(NeedsIndividualUpdates: true);

    /// <inheritdoc />
    public StrategyState InitialState(GlobalModel model) => NoStrategyState.Instance;

    /// <inheritdoc />
    public TrainingPlan PlanTraining(RoundInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new TrainingPlan(input.Roster, _options.Training);
    }

    /// <inheritdoc />
    public StrategyStep Aggregate(RoundInput input, UpdateAggregate updates)
    {
        ArgumentNullException.ThrowIfNull(input);
        IReadOnlyList<SiteUpdate> individual = updates switch
        {
            IndividualUpdates i => i.Updates,
            SummedUpdates => throw new InvalidOperationException("Robust aggregation needs individual updates; the engine handed it only a sum."),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        if (individual.Count == 0)
        {
            return new StrategyStep(input.Model.Parameters, input.State);
        }

        float[][] deltas = [.. individual.Select(u =>
        {
            float[] d = new float[u.WeightedDelta.Length];
            TensorPrimitives.Multiply(u.WeightedDelta.Values, (float)(1.0 / u.Weight), d);
            return d;
        })];
        float[] combined = _options.Rule switch
        {
            RobustRule.Median => CoordinateWise(deltas, trim: -1),
            RobustRule.TrimmedMean => CoordinateWise(deltas, trim: (int)Math.Floor(_options.TrimFraction * deltas.Length)),
            RobustRule.Krum => Krum(deltas, individual, select: 1),
            RobustRule.MultiKrum => Krum(deltas, individual, select: _options.MultiKrumSelect ?? Math.Max(1, deltas.Length - _options.ByzantineSites)),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        ParameterVector next = input.Model.Parameters.Clone();
        TensorPrimitives.Add(next.Values, combined, next.Values);
        return new StrategyStep(next, input.State);
    }

    /// <summary>Coordinate-wise median (trim &lt; 0) or mean after cutting <paramref name="trim"/> values from each end.</summary>
    private static float[] CoordinateWise(float[][] deltas, int trim)
    {
        int n = deltas.Length;
        int length = deltas[0].Length;
        float[] result = new float[length];
        float[] column = new float[n];
        for (int i = 0; i < length; i++)
        {
            for (int s = 0; s < n; s++)
            {
                column[s] = deltas[s][i];
            }

            Array.Sort(column);
            if (trim < 0)
            {
                result[i] = n % 2 == 1 ? column[n / 2] : 0.5f * (column[(n / 2) - 1] + column[n / 2]);
            }
            else
            {
                int keep = n - (2 * trim);
                result[i] = keep > 0 ? TensorPrimitives.Sum<float>(column.AsSpan(trim, keep)) / keep : 0.5f * (column[(n / 2) - 1] + column[n / 2]);
            }
        }

        return result;
    }

    /// <summary>Krum scores: the sum of squared distances to the n − f − 2 nearest other updates; average the best <paramref name="select"/>.</summary>
    private float[] Krum(float[][] deltas, IReadOnlyList<SiteUpdate> updates, int select)
    {
        int n = deltas.Length;
        int neighbours = Math.Max(1, n - _options.ByzantineSites - 2);
        double[] scores = new double[n];
        double[] distances = new double[n - 1 > 0 ? n - 1 : 1];
        float[] diff = new float[deltas[0].Length];
        double[,] pairwise = new double[n, n];
        for (int a = 0; a < n; a++)
        {
            for (int b = a + 1; b < n; b++)
            {
                TensorPrimitives.Subtract(deltas[a], deltas[b], diff);
                pairwise[a, b] = pairwise[b, a] = TensorPrimitives.Dot<float>(diff, diff);
            }
        }

        for (int a = 0; a < n; a++)
        {
            int k = 0;
            for (int b = 0; b < n; b++)
            {
                if (b != a)
                {
                    distances[k++] = pairwise[a, b];
                }
            }

            Array.Sort(distances, 0, k);
            scores[a] = distances.Take(Math.Min(neighbours, k)).Sum();
        }

        // Equal scores are common (two mutually nearest updates); break ties by site name, not by arrival.
        int[] best = [.. Enumerable.Range(0, n).OrderBy(i => scores[i]).ThenBy(i => updates[i].Site.Value, StringComparer.Ordinal).Take(Math.Min(select, n))];
        Array.Sort(best, (a, b) => string.CompareOrdinal(updates[a].Site.Value, updates[b].Site.Value));
        float[] mean = new float[deltas[0].Length];
        foreach (int i in best)
        {
            TensorPrimitives.Add(mean, deltas[i], mean);
        }

        TensorPrimitives.Multiply(mean, 1f / best.Length, mean);
        return mean;
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input) => EvaluationPlan.EverySite(input);

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => MetricSummary.FromReports(reports);
}
