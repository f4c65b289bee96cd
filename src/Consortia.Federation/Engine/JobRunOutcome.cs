using Consortia.Federation.Jobs.Store;

namespace Consortia.Federation.Engine;

/// <summary>How a <see cref="JobRunner"/> run ended.</summary>
/// <param name="JobId">The job.</param>
/// <param name="State">The job's state afterwards: completed, cancelled, failed or refused.</param>
/// <param name="Model">The newest committed model (the final model when completed).</param>
/// <param name="RoundsCompleted">The number of committed rounds.</param>
/// <param name="Message">Why it was cancelled, failed or refused, or <see langword="null"/>.</param>
public sealed record JobRunOutcome(string JobId, JobState State, GlobalModel Model, int RoundsCompleted, string? Message);
