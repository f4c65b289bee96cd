using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.Budget;
using Consortia.Privacy.Mechanisms;

namespace Consortia.TestKit;

/// <summary>Site agents for tests, composed by <see cref="SiteBuilder"/> as simulation and nodes compose theirs, under an explicit policy.</summary>
public static class TestSites
{
    /// <summary>A job for test agents: the model of <paramref name="spec"/>, the batch size and metrics, and the columns it reads.</summary>
    /// <param name="spec">The model.</param>
    /// <param name="batchSize">The largest local batch.</param>
    /// <param name="metrics">The evaluation metrics.</param>
    /// <param name="columns">The data columns the job declares.</param>
    /// <param name="training">The local training the job sets, which every training task must match (sites refuse
    /// other settings, rule <c>task-training</c>); default: the batch size, at most 10 local steps, SGD at 0.01.</param>
    /// <returns>The job.</returns>
    /// <remarks>Its name and text are those of <see cref="RunnerHarness.JobFor"/> with the default job name, so that the test
    /// agents accept the harness's tasks (sites refuse a task of any other job).</remarks>
    public static JobDefinition Job(ModelSpec spec, int batchSize, IReadOnlyList<MetricKind> metrics, IReadOnlyList<string> columns, LocalTrainingOptions? training = null) => new()
    {
        Name = new RoundEngineOptions().JobName,
        SourceText = RunnerHarness.JobFor(new RoundEngineOptions(), 0).SourceText,
        Seed = 0,
        Data = new DataSourceOptions { Format = DataFormat.Csv, Path = "." },
        ModelKind = spec.Kind,
        HiddenLayers = spec.HiddenLayers,
        L2 = spec.L2,
        Engine = new RoundEngineOptions(),
        Training = training ?? new LocalTrainingOptions { BatchSize = batchSize, LocalSteps = 10 },
        Metrics = metrics,
        Columns = columns,
    };

    /// <summary>The hash of <see cref="Job"/> (whatever its arguments), which every task to the test agents must carry.</summary>
    /// <value>The hash of the job file text of <see cref="RunnerHarness.JobFor"/> with the default job name.</value>
    public static string JobSha256 { get; } = Job(new ModelSpec(ModelKind.Logistic, 1, []), 1, [], []).ContentSha256;

    /// <summary>A site policy that accepts exactly <paramref name="job"/> (<see cref="MeasurementPolicy.Accepting"/>).</summary>
    /// <param name="job">The job.</param>
    /// <returns>The evaluator.</returns>
    public static PolicyEvaluator Accepting(JobDefinition job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return MeasurementPolicy.Accepting(job.Describe());
    }

    /// <summary>One agent per site of <paramref name="data"/>, each under a policy accepting the test job.</summary>
    /// <param name="data">The per-site data.</param>
    /// <param name="spec">The model.</param>
    /// <param name="metrics">The evaluation metrics.</param>
    /// <param name="batchSize">The largest local batch.</param>
    /// <param name="random">Each site's random source, by site index.</param>
    /// <param name="budget">Each site's budget ledger, by site index, or <see langword="null"/>.</param>
    /// <param name="job">Changes the job the sites accept (its protections must be those of the tasks they will get).</param>
    /// <param name="training">The local training of the job the sites accept (the strategy's, which its tasks carry); default: see <see cref="Job"/>.</param>
    /// <returns>The agents.</returns>
    public static SiteAgent[] Agents(
        FederatedDataset data, ModelSpec spec, IReadOnlyList<MetricKind> metrics, int batchSize, Func<int, RandomSource> random,
        Func<int, PrivacyBudgetLedger?>? budget = null, Func<JobDefinition, JobDefinition>? job = null, LocalTrainingOptions? training = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        JobDefinition accepted = Job(spec, batchSize, metrics, data.Sites[0].Train.FeatureNames, training);
        accepted = job?.Invoke(accepted) ?? accepted;
        PolicyEvaluator policy = Accepting(accepted);

        // Secure aggregation authenticates peers against a roster: every test site accepts the one of all of them.
        SimulatedConsortium consortium = SimulatedConsortium.Create(accepted.Consortium, data.Sites.Select(s => s.Name));
        return [.. data.Sites.Select((s, i) => new SiteBuilder
        {
            Job = accepted,
            Site = new SiteId(s.Name),
            Train = s.Train,
            Test = s.Test,
            Task = data.Task,
            Randomness = SiteRandomness.Seeded(random(i)),
            Time = TimeProvider.System,
            Policy = policy,
            Budget = budget?.Invoke(i),
            SigningKey = consortium.KeyOf(s.Name),
            Roster = consortium.Roster,
        }.Build())];
    }
}
