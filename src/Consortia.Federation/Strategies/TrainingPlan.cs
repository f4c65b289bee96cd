using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies;

/// <summary>Which sites train in a round, how, and by when.</summary>
/// <param name="Sites">The selected sites.</param>
/// <param name="Training">The local training configuration sent to each.</param>
/// <param name="Deadline">How long the engine waits for replies; <see langword="null"/> waits for all.</param>
public sealed record TrainingPlan(IReadOnlyList<SiteId> Sites, LocalTrainingOptions Training, TimeSpan? Deadline = null);
