using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.ClientDp;

namespace Consortia.Cli.Output.Reports;

/// <summary>
/// What a training report and a model card are made from: a simulated run (everything) or a deployed job read back
/// from the coordinator's store (rounds and metrics only: test predictions and privacy spend stay at the sites).
/// </summary>
internal sealed record TrainingReport
{
    /// <summary>The job as submitted.</summary>
    public required JobDefinition Job { get; init; }

    /// <summary>Where the figures come from, in a sentence ("simulation in one process, seed 42", "coordinator store …").</summary>
    public required string Origin { get; init; }

    /// <summary>Whether the sites ran in this process from the job's seed (their randomness is then reproducible, not private).</summary>
    public required bool Simulated { get; init; }

    /// <summary>The committed rounds, in order.</summary>
    public required IReadOnlyList<RoundReport> Rounds { get; init; }

    /// <summary>The model's kind and size, e.g. "Logistic, 14 parameters".</summary>
    public required string Model { get; init; }

    /// <summary>The final model's per-site test metrics, when the job evaluated it.</summary>
    public MetricSummary? Final { get; init; }

    /// <summary>Non-federated baselines (simulation only).</summary>
    public IReadOnlyList<BaselineResult> Baselines { get; init; } = [];

    /// <summary>Each site's test-set scores and labels under the final model (simulation only: a deployment keeps them at the sites).</summary>
    public IReadOnlyList<SitePredictions> Predictions { get; init; } = [];

    /// <summary>Each site's training and test set sizes, when known.</summary>
    public IReadOnlyList<(string Site, int Train, int Test)> SiteSizes { get; init; } = [];

    /// <summary>What DP cost each site (sample-level DP-SGD, or client-level as booked by each site).</summary>
    public IReadOnlyList<SitePrivacyReport> Privacy { get; init; } = [];

    /// <summary>Client-level DP-FedAvg's calibration, when the job used it.</summary>
    public ClientDpCalibration? ClientPrivacy { get; init; }

    /// <summary>The fairness audit of the final model, when the job declares <c>fairness:</c> groups (or <c>report training --fairness FILE</c> names one).</summary>
    public FairnessFacts? Fairness { get; init; }

    /// <summary>Privacy warnings about the run.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The final report from a simulation (data reloaded for per-site sizes and test predictions).</summary>
    public static TrainingReport FromSimulation(SimulationResult result, IReadOnlyList<string> warnings, Data.FederatedDataset? data)
    {
        ArgumentNullException.ThrowIfNull(result);
        List<SitePredictions> predictions = [];
        if (data is not null && result.Task != Data.LearningTask.Survival)
        {
            Learning.Models.IModel model = result.Spec.CreateModel(256);
            foreach (Data.SiteData site in data.Sites)
            {
                float[] scores = new float[site.Test.Count];
                model.Predict(result.Federated.FinalModel.Parameters.Values, site.Test.Features, scores);
                predictions.Add(new SitePredictions(site.Name, scores, site.Test.Labels.ToArray()));
            }
        }

        return new TrainingReport
        {
            Job = result.Job,
            Origin = $"simulation in one process, seed {result.Job.Seed}",
            Simulated = true,
            Rounds = result.Federated.Rounds,
            Model = $"{result.Spec.Kind}, {result.Spec.CreateLayout().Length} parameters{(result.Spec.HiddenLayers.IsDefaultOrEmpty ? "" : $", hidden layers [{string.Join(", ", result.Spec.HiddenLayers)}] (ReLU)")}, {result.Spec.FeatureCount} input features",
            Final = result.Final,
            Baselines = result.Baselines,
            Predictions = predictions,
            SiteSizes = data is null ? [] : [.. data.Sites.Select(s => (s.Name, s.Train.Count, s.Test.Count))],
            Privacy = result.Privacy,
            ClientPrivacy = result.ClientPrivacy,
            Warnings = warnings,
        };
    }
}

/// <summary>A site's test-set scores under the final model and the true labels.</summary>
/// <param name="Site">The site.</param>
/// <param name="Scores">Predicted probabilities.</param>
/// <param name="Labels">Labels, 0 or 1.</param>
internal sealed record SitePredictions(string Site, float[] Scores, float[] Labels);
