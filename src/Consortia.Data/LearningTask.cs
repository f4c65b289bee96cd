namespace Consortia.Data;

/// <summary>The learning task a federated dataset is prepared for.</summary>
public enum LearningTask
{
    /// <summary>Binary classification: <see cref="Consortia.Learning.Dataset.Labels"/> hold 0/1 class labels.</summary>
    BinaryClassification,

    /// <summary>
    /// Survival analysis: <see cref="Consortia.Learning.Dataset.Labels"/> hold the event indicator
    /// (1 = event observed, 0 = censored) and <see cref="Consortia.Learning.Dataset.Times"/> the time.
    /// </summary>
    Survival,
}
