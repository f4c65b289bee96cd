using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.Cyclic;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Strategies.FedAvgM;
using Consortia.Federation.Strategies.FedOpt;
using Consortia.Federation.Strategies.Robust;
using Consortia.Federation.Strategies.Scaffold;
using Consortia.Learning.Training;

namespace Consortia.Federation.Jobs;

/// <summary>The job file's <c>strategy:</c> section: the kind and every strategy option (defaults from the papers).</summary>
public sealed record StrategySettings
{
    /// <summary>The strategy.</summary>
    public StrategyKind Kind { get; init; } = StrategyKind.FedAvg;

    /// <summary>Fraction of sites sampled per round.</summary>
    public double FractionFit { get; init; } = 1.0;

    /// <summary>Server learning rate (SCAFFOLD, FedOpt, FedAvgM); <see langword="null"/> for the strategy's default.</summary>
    public double? ServerLearningRate { get; init; }

    /// <summary>FedOpt β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>FedOpt β2.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>FedOpt τ.</summary>
    public double Tau { get; init; } = 1e-8;

    /// <summary>FedAvgM server momentum.</summary>
    public double ServerMomentum { get; init; } = 0.9;

    /// <summary>Trimmed mean: fraction cut at each end.</summary>
    public double TrimFraction { get; init; } = 0.1;

    /// <summary>Krum: tolerated Byzantine sites.</summary>
    public int ByzantineSites { get; init; } = 1;

    /// <summary>Multi-Krum: updates averaged; <see langword="null"/> = n − f.</summary>
    public int? MultiKrumSelect { get; init; }

    /// <summary>Cyclic: a fresh random order each cycle.</summary>
    public bool ShuffleEachCycle { get; init; } = true;

    /// <summary>Update norm bounding at the coordinator: each site's update is scaled down to this L2 norm before aggregation; <see langword="null"/> for none.</summary>
    public double? NormBound { get; init; }

    /// <summary>Update norm bounding at each round's median update norm (<c>norm_bound: median</c>) instead of a fixed <see cref="NormBound"/>.</summary>
    public bool NormBoundAtMedian { get; init; }

    /// <summary>Builds the strategy, validating its options (job loading calls this so errors surface early).</summary>
    /// <param name="training">Local training at the sites.</param>
    /// <returns>The strategy.</returns>
    /// <exception cref="ArgumentException">An option is out of range (the message names the field).</exception>
    public IStrategy Create(LocalTrainingOptions training) =>
        NormBound is not null || NormBoundAtMedian ? new NormBoundingStrategy(CreateRule(training), NormBound) : CreateRule(training);

    private IStrategy CreateRule(LocalTrainingOptions training) => Kind switch
    {
        StrategyKind.FedAvg or StrategyKind.FedProx or StrategyKind.QFfl => new FedAvgStrategy(new FedAvgOptions { Training = training, FractionFit = FractionFit }),
        StrategyKind.Scaffold => new ScaffoldStrategy(new ScaffoldOptions { Training = training, FractionFit = FractionFit, ServerLearningRate = ServerLearningRate ?? 1.0 }),
        StrategyKind.FedAdam or StrategyKind.FedYogi or StrategyKind.FedAdagrad => new FedOptStrategy(new FedOptOptions
        {
            Variant = Kind switch { StrategyKind.FedAdam => FedOptVariant.Adam, StrategyKind.FedYogi => FedOptVariant.Yogi, _ => FedOptVariant.Adagrad },
            Training = training,
            FractionFit = FractionFit,
            ServerLearningRate = ServerLearningRate ?? 0.01,
            Beta1 = Beta1,
            Beta2 = Beta2,
            Tau = Tau,
        }),
        StrategyKind.FedAvgM => new FedAvgMStrategy(new FedAvgMOptions { Training = training, FractionFit = FractionFit, ServerLearningRate = ServerLearningRate ?? 1.0, ServerMomentum = ServerMomentum }),
        StrategyKind.Cyclic => new CyclicStrategy(new CyclicOptions { Training = training, ShuffleEachCycle = ShuffleEachCycle }),
        StrategyKind.Median or StrategyKind.TrimmedMean or StrategyKind.Krum or StrategyKind.MultiKrum => new RobustAggregationStrategy(new RobustOptions
        {
            Rule = Kind switch { StrategyKind.Median => RobustRule.Median, StrategyKind.TrimmedMean => RobustRule.TrimmedMean, StrategyKind.Krum => RobustRule.Krum, _ => RobustRule.MultiKrum },
            Training = training,
            TrimFraction = TrimFraction,
            ByzantineSites = ByzantineSites,
            MultiKrumSelect = MultiKrumSelect,
        }),
        _ => throw new System.Diagnostics.UnreachableException(),
    };
}
