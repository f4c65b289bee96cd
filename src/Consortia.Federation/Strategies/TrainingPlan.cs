using Consortia.Learning;
using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies;

/// <summary>Which sites train in a round, how, and by when.</summary>
/// <param name="Sites">The selected sites.</param>
/// <param name="Training">The local training configuration sent to each.</param>
/// <param name="Deadline">How long the engine waits for replies; <see langword="null"/> waits for all.</param>
/// <param name="ControlVariate">SCAFFOLD's server control variate sent to every site, or <see langword="null"/>.</param>
public sealed record TrainingPlan(IReadOnlyList<SiteId> Sites, LocalTrainingOptions Training, TimeSpan? Deadline = null, ParameterVector? ControlVariate = null)
{
    /// <summary>Client-level DP-FedAvg: what each site must do with its update this round, or <see langword="null"/>.</summary>
    public Sites.ClientDpRound? ClientDp { get; init; }
}
