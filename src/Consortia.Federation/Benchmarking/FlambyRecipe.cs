using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;

namespace Consortia.Federation.Benchmarking;

/// <summary>
/// FLamby's benchmark protocol for one dataset: model, batch size, local steps, rounds and per-method
/// learning rates, as listed in the dataset READMEs (from FLamby's <c>config_*.json</c>).
/// </summary>
/// <param name="Dataset">The dataset key (<c>heart-disease</c> or <c>tcga-brca</c>).</param>
/// <param name="Format">The data loader.</param>
/// <param name="DataFolder">The folder under <c>data/</c>.</param>
/// <param name="Model">The model family.</param>
/// <param name="Methods">The rows, in display order.</param>
public sealed record FlambyRecipe(string Dataset, DataFormat Format, string DataFolder, ModelKind Model, IReadOnlyList<FlambyMethod> Methods)
{
    /// <summary>The recipe of a dataset.</summary>
    /// <param name="dataset"><c>heart-disease</c> or <c>tcga-brca</c>.</param>
    /// <returns>The recipe.</returns>
    /// <exception cref="ArgumentException">Unknown dataset.</exception>
    public static FlambyRecipe For(string dataset) => dataset switch
    {
        "heart-disease" => Build(dataset, DataFormat.FlambyHeartDisease, "fed-heart-disease", ModelKind.Logistic, sites: 4,
            batch: 4, rounds: 15, baselineLr: 0.001f, baselineEpochs: 50,
            fedAvgLr: 0.001f, proxLr: 0.001f, mu: 0.01f, scaffoldLr: 0.001f,
            adam: (0.01f, 0.01), yogi: (0.003162f, 0.01), adagrad: (0.003162f, 0.316228), cyclicLr: 0.01f),
        "tcga-brca" => Build(dataset, DataFormat.FlambyTcgaBrca, "fed-tcga-brca", ModelKind.CoxPh, sites: 6,
            batch: 8, rounds: 5, baselineLr: 0.1f, baselineEpochs: 30,
            fedAvgLr: 0.1f, proxLr: 0.1f, mu: 0.1f, scaffoldLr: 0.01f,
            adam: (0.01f, 0.1), yogi: (0.01f, 0.1), adagrad: (0.01f, 1.0), cyclicLr: 0.01f),
        _ => throw new ArgumentException($"--dataset: expected heart-disease or tcga-brca, got '{dataset}'.", nameof(dataset)),
    };

    private static FlambyRecipe Build(
        string dataset, DataFormat format, string folder, ModelKind model, int sites, int batch, int rounds,
        float baselineLr, int baselineEpochs, float fedAvgLr, float proxLr, float mu, float scaffoldLr,
        (float Client, double Server) adam, (float Client, double Server) yogi, (float Client, double Server) adagrad, float cyclicLr)
    {
        LocalTrainingOptions baseline = new() { BatchSize = batch, LocalEpochs = baselineEpochs, Optimizer = new() { Kind = OptimizerKind.Adam, LearningRate = baselineLr } };
        LocalTrainingOptions Sgd(float lr, float proximal = 0f) => new() { BatchSize = batch, LocalSteps = 100, ProximalMu = proximal, Optimizer = new() { Kind = OptimizerKind.Sgd, LearningRate = lr } };
        List<FlambyMethod> methods = [new("Pooled", "Pooled Training", null, baseline, Pooled: true)];
        for (int i = 0; i < sites; i++)
        {
            methods.Add(new($"Local {i}", $"Local {i}", null, baseline, LocalSite: i));
        }

        methods.Add(new("Local (own site)", null, null, baseline, OwnSiteLocal: true));

        methods.AddRange(
        [
            new("FedAvg", "FedAvg100", new StrategySettings { Kind = StrategyKind.FedAvg }, Sgd(fedAvgLr), Rounds: rounds),
            new("FedProx", "FedProx100", new StrategySettings { Kind = StrategyKind.FedProx }, Sgd(proxLr, mu), Rounds: rounds),
            new("SCAFFOLD", "Scaffold100", new StrategySettings { Kind = StrategyKind.Scaffold, ServerLearningRate = 1.0 }, Sgd(scaffoldLr), Rounds: rounds),
            new("FedAdam", "FedAdam100", new StrategySettings { Kind = StrategyKind.FedAdam, ServerLearningRate = adam.Server }, Sgd(adam.Client), Rounds: rounds),
            new("FedYogi", "FedYogi100", new StrategySettings { Kind = StrategyKind.FedYogi, ServerLearningRate = yogi.Server }, Sgd(yogi.Client), Rounds: rounds),
            new("FedAdagrad", "FedAdagrad100", new StrategySettings { Kind = StrategyKind.FedAdagrad, ServerLearningRate = adagrad.Server }, Sgd(adagrad.Client), Rounds: rounds),
            new("Cyclic", "Cyclic100", new StrategySettings { Kind = StrategyKind.Cyclic }, Sgd(cyclicLr), Rounds: rounds),
            new("FedAvgM", null, new StrategySettings { Kind = StrategyKind.FedAvgM, ServerLearningRate = 1.0, ServerMomentum = 0.9 }, Sgd(fedAvgLr), Rounds: rounds),
            new("Median", null, new StrategySettings { Kind = StrategyKind.Median }, Sgd(fedAvgLr), Rounds: rounds),
            new("TrimmedMean", null, new StrategySettings { Kind = StrategyKind.TrimmedMean, TrimFraction = 0.25 }, Sgd(fedAvgLr), Rounds: rounds),
            new("Krum", null, new StrategySettings { Kind = StrategyKind.Krum, ByzantineSites = 1 }, Sgd(fedAvgLr), Rounds: rounds),
            new("MultiKrum", null, new StrategySettings { Kind = StrategyKind.MultiKrum, ByzantineSites = 1 }, Sgd(fedAvgLr), Rounds: rounds),

            // Personalised rows: FedAvg's recipe (so the global model is the FedAvg row's), read at each site's personal
            // model. λ and the personal steps are Ditto's defaults (λ = 0.1, as many steps as a round's local training), not tuned.
            new("Ditto (λ 0.1)", null, new StrategySettings { Kind = StrategyKind.FedAvg }, Sgd(fedAvgLr), Rounds: rounds, Personalisation: new PersonalisationSettings { Method = PersonalisationMethod.Ditto, Lambda = 0.1 }),
            new("FedAvg + fine-tune", null, new StrategySettings { Kind = StrategyKind.FedAvg }, Sgd(fedAvgLr), Rounds: rounds, Personalisation: new PersonalisationSettings { Method = PersonalisationMethod.FineTune }),
        ]);
        return new FlambyRecipe(dataset, format, folder, model, methods);
    }
}
