using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Strategies;
using Consortia.Learning.Models;

namespace Consortia.Federation.Simulation;

/// <summary>The outcome of a simulated job: the federated run, its final per-site test metrics and the baselines.</summary>
/// <param name="Job">The job.</param>
/// <param name="Task">The learning task of the data.</param>
/// <param name="Spec">The model specification.</param>
/// <param name="Federated">The federated run (final model and round history).</param>
/// <param name="Final">The final model's test metrics at every site.</param>
/// <param name="Baselines">The baselines' test metrics.</param>
public sealed record SimulationResult(
    JobDefinition Job,
    LearningTask Task,
    ModelSpec Spec,
    JobResult Federated,
    MetricSummary Final,
    IReadOnlyList<BaselineResult> Baselines)
{
    /// <summary>What DP-SGD cost each site, empty when the job ran without differential privacy.</summary>
    public IReadOnlyList<Sites.SitePrivacyReport> Privacy { get; init; } = [];

    /// <summary>Client-level DP-FedAvg: the job's q, z and client-level ε; <see langword="null"/> without client-level DP.</summary>
    public Strategies.ClientDp.ClientDpCalibration? ClientPrivacy { get; init; }
}
