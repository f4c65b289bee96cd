namespace Consortia.Learning.Metrics;

/// <summary>The evaluation metrics Consortia reports; see <see cref="MetricKindExtensions"/> for their report names and direction.</summary>
public enum MetricKind
{
    /// <summary>Fraction of correct thresholded predictions (<see cref="ClassificationMetrics.Accuracy"/>); higher is better.</summary>
    Accuracy,

    /// <summary>Area under the ROC curve (<see cref="ClassificationMetrics.RocAuc"/>); higher is better.</summary>
    RocAuc,

    /// <summary>Mean binary cross-entropy (<see cref="ClassificationMetrics.LogLoss"/>); lower is better.</summary>
    LogLoss,

    /// <summary>Mean squared error of probabilities (<see cref="ClassificationMetrics.BrierScore"/>); lower is better.</summary>
    BrierScore,

    /// <summary>Harrell's concordance index (<see cref="SurvivalMetrics.ConcordanceIndex"/>); higher is better.</summary>
    ConcordanceIndex,
}
