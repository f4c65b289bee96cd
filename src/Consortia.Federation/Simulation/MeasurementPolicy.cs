using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Governance.Policies;

namespace Consortia.Federation.Simulation;

/// <summary>
/// The policy of a measurement's sites (the FLamby benchmark, cross-validated tuning, benchmarks and tests): the
/// researcher's own machine and data, so the sites accept exactly the measured job, in aggregates of the size it promises, with
/// or without secure aggregation or DP, and release every metric, as often as asked. Written out, never implied: a site without a
/// policy still refuses everything.
/// </summary>
public static class MeasurementPolicy
{
    /// <summary>The per-job ceiling and lifetime ε of a measurement site's policy for a DP job (they only have to be finite).</summary>
    public const double MeasurementEpsilon = 1e6;

    /// <summary>A policy accepting <paramref name="job"/> (which must declare its columns: a policy allows only listed columns) and nothing else.</summary>
    /// <param name="job">The measured job, as a policy sees it.</param>
    /// <returns>The evaluator.</returns>
    public static PolicyEvaluator Accepting(JobDescriptor job) => new(new SitePolicy
    {
        Version = 1,
        Site = "measurement",
        Consortia = [job.Consortium],
        Owners = [job.Owner],
        ModelKinds = [job.ModelKind],
        Strategies = [job.Strategy],
        // A DP job gets a budget far above any job's ε: a measurement charges its sites like any site, but never stops them.
        Protections = new ProtectionPolicy(false, job.MinSitesPerAggregate ?? 1, job.Dp is { } dp ? new DifferentialPrivacyPolicy(false, null, MeasurementEpsilon, MeasurementEpsilon, dp.Delta) : null),
        Outputs = new OutputPolicy(MaskedUpdates: true, PlainUpdates: true, AggregateMetrics: true, MinCellCount: 1) { MaxEvaluationsPerJob = int.MaxValue },
        Columns = job.Columns,
    });

    /// <summary>Simulates <paramref name="job"/> on <paramref name="data"/> with every site under <see cref="Accepting"/> (the job declaring the data's columns).</summary>
    /// <param name="job">The measured job.</param>
    /// <param name="data">The per-site data.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The result.</returns>
    internal static Task<SimulationResult> RunAsync(JobDefinition job, FederatedDataset data, CancellationToken cancellationToken)
    {
        job = job with { Columns = data.Sites[0].Train.FeatureNames };
        PolicyEvaluator policy = Accepting(job.Describe());
        return FederatedSimulation.RunAsync(job, data, null, null, _ => policy, cancellationToken);
    }
}
