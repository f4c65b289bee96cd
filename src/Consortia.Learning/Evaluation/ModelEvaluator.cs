using System.Buffers;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;

namespace Consortia.Learning.Evaluation;

/// <summary>Computes aggregate metrics of a model on a dataset.</summary>
public static class ModelEvaluator
{
    /// <summary>Predicts every row of <paramref name="data"/> and computes the requested metrics.</summary>
    /// <param name="model">A model instance of the parameters' layout.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="data">The evaluation data.</param>
    /// <param name="metrics">The metrics to compute.</param>
    /// <returns>One value per requested metric, in order; NaN where a metric is undefined on the data.</returns>
    public static IReadOnlyList<(MetricKind Kind, double Value)> Evaluate(
        IModel model, ReadOnlySpan<float> parameters, Dataset data, IReadOnlyList<MetricKind> metrics)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(metrics);
        float[] predictions = ArrayPool<float>.Shared.Rent(data.Count);
        try
        {
            Span<float> output = predictions.AsSpan(0, data.Count);
            model.Predict(parameters, data.Features, output);
            var results = new (MetricKind, double)[metrics.Count];
            for (int i = 0; i < metrics.Count; i++)
            {
                results[i] = (metrics[i], Compute(metrics[i], output, data));
            }

            return results;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(predictions);
        }
    }

    private static double Compute(MetricKind metric, ReadOnlySpan<float> output, Dataset data) => metric switch
    {
        MetricKind.Accuracy => ClassificationMetrics.Accuracy(output, data.Labels),
        MetricKind.RocAuc => ClassificationMetrics.RocAuc(output, data.Labels),
        MetricKind.LogLoss => ClassificationMetrics.LogLoss(output, data.Labels),
        MetricKind.BrierScore => ClassificationMetrics.BrierScore(output, data.Labels),
        MetricKind.ConcordanceIndex => data.HasTimes
            ? SurvivalMetrics.ConcordanceIndex(data.Times, data.Labels, output)
            : throw new ArgumentException("The C-index needs survival times.", nameof(data)),
        _ => throw new System.Diagnostics.UnreachableException(),
    };
}
