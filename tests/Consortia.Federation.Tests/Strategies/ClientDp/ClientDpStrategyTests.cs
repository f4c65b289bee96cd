using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Strategies.Robust;
using Consortia.Federation.Strategies.Scaffold;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Privacy.Accounting;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Federation.Tests.Strategies.ClientDp;

public sealed class ClientDpStrategyTests
{
    private sealed class ZeroNoise : INoiseSource
    {
        public void NextStandardNormals(Span<double> destination) => destination.Clear();
    }

    private static readonly Func<RoundInput, INoiseSource> s_zeroNoise = _ => new ZeroNoise();

    private static ModelSpec Spec(int features) => new(ModelKind.Logistic, features, []);

    private static ClientDpStrategy Strategy(ClientLevelDpOptions options, double fractionFit = 1.0, int rounds = 10, Func<RoundInput, INoiseSource>? noise = null) =>
        new(new FedAvgStrategy(new FedAvgOptions { FractionFit = fractionFit }), new ClientDpSettings(options, "job", rounds), noise ?? ClientDpStrategy.SeededNoise);

    private static RoundInput Input(ClientDpStrategy strategy, ModelSpec spec, int sites, int round = 1, ulong seed = 3)
    {
        GlobalModel model = new(spec, new ParameterVector(spec.CreateLayout()), new RoundNumber(round - 1));
        return new RoundInput(new RoundNumber(round), model, strategy.InitialState(model), [.. Enumerable.Range(0, sites).Select(i => new SiteId($"s{i}"))], new RandomSource(seed));
    }

    private static SiteUpdate Clipped(ModelSpec spec, int site, float[] delta, double clip, bool bit = false)
    {
        ParameterVector v = new(spec.CreateLayout(), delta);
        double norm = ClientLevelMechanism.ClipUpdate(v.Values, clip);
        return new SiteUpdate(new SiteId($"s{site}"), v, 1.0, double.NaN, 1) { UnclippedBit = bit ? ClientLevelMechanism.CentredUnclippedBit(norm, clip) : null };
    }

    [Fact]
    public void Aggregate_NoiseOnTheAverageHasStandardDeviationZCOverSampledSites()
    {
        // 20,000 parameters, 4 sites whose clipped updates sum to zero: the new model is pure noise of sd z·C/m.
        ModelSpec spec = Spec(19_999);
        const double Z = 1.7, C = 0.6;
        ClientDpStrategy strategy = Strategy(new ClientLevelDpOptions { ClipNorm = C, NoiseMultiplier = Z });
        RoundInput input = Input(strategy, spec, 4);
        SummedUpdates zero = new(new ParameterVector(spec.CreateLayout()), 4, 4);

        float[] next = strategy.Aggregate(input, zero).Parameters.Values.ToArray();

        double mean = next.Average(v => (double)v);
        double std = Math.Sqrt(next.Sum(v => (v - mean) * (v - mean)) / (next.Length - 1));
        Assert.InRange(std, Z * C / 4 * 0.97, Z * C / 4 * 1.03);
        Assert.InRange(mean, -0.01, 0.01);
    }

    [Fact]
    public void Aggregate_DividesByTheSitesSampledNotByTheSitesThatAnsweredNorByExampleCounts()
    {
        ModelSpec spec = Spec(1); // 2 parameters
        ClientDpStrategy strategy = Strategy(new ClientLevelDpOptions { ClipNorm = 10, NoiseMultiplier = 1 }, noise: s_zeroNoise);
        RoundInput input = Input(strategy, spec, 4);
        // Three of four sampled sites answered (one dropped out); their example counts play no part.
        SiteUpdate[] updates = [Clipped(spec, 0, [1, 2], 10), Clipped(spec, 1, [3, 0], 10), Clipped(spec, 2, [0, 2], 10)];

        float[] next = strategy.Aggregate(input, new IndividualUpdates(updates)).Parameters.Values.ToArray();

        Assert.Equal([1f, 1f], next); // (1 + 3 + 0) / 4, (2 + 0 + 2) / 4
    }

    [Fact]
    public void Aggregate_FromIndividualUpdatesOrFromTheirSum_GivesTheSameModelAndClip()
    {
        ModelSpec spec = Spec(7);
        ClientDpStrategy strategy = Strategy(new ClientLevelDpOptions { ClipNorm = 0.5, NoiseMultiplier = 0.8, Adaptive = new() { BitNoise = 1.0 } });
        RoundInput input = Input(strategy, spec, 5);
        RandomSource random = new(11);
        SiteUpdate[] updates = [.. Enumerable.Range(0, 5).Select(i => Clipped(spec, i, [.. Enumerable.Range(0, 8).Select(_ => (float)random.NextGaussian() * 0.3f)], 0.5, bit: true))];

        StrategyStep fromIndividual = strategy.Aggregate(input, new IndividualUpdates(updates));
        StrategyStep fromSum = strategy.Aggregate(input, SiteSampling.Sum(spec.CreateLayout(), updates));

        Assert.True(fromIndividual.Parameters.ContentEquals(fromSum.Parameters));
        Assert.Equal(((ClientDpState)fromIndividual.State).ClipNorm, ((ClientDpState)fromSum.State).ClipNorm);
    }

    [Fact]
    public void Aggregate_AdaptiveClipping_UpdatesTheClipGeometricallyFromTheUnclippedFraction()
    {
        ModelSpec spec = Spec(1);
        ClientDpStrategy strategy = Strategy(new ClientLevelDpOptions { ClipNorm = 1.0, NoiseMultiplier = 1, Adaptive = new() { TargetQuantile = 0.5, LearningRate = 0.2, BitNoise = 1 } }, noise: s_zeroNoise);
        RoundInput input = Input(strategy, spec, 4);
        // One of four updates is within the bound: b̃ = 0.25 < γ, so the bound grows by e^{0.2·0.25}.
        SiteUpdate[] updates = [Clipped(spec, 0, [0.1f, 0.1f], 1, true), Clipped(spec, 1, [3, 0], 1, true), Clipped(spec, 2, [0, 2], 1, true), Clipped(spec, 3, [5, 5], 1, true)];

        StrategyStep step = strategy.Aggregate(input, SiteSampling.Sum(spec.CreateLayout(), updates));

        Assert.Equal(Math.Exp(0.2 * 0.25), ((ClientDpState)step.State).ClipNorm, 12);
        Assert.Equal(1.0, ((ClientDpState)input.State).ClipNorm);
    }

    [Fact]
    public void PlanTraining_CalibratesForASiteDrawnInEveryRound_TheSeededDrawAmplifiesNothing()
    {
        const int Rounds = 30;
        ClientDpStrategy strategy = Strategy(new ClientLevelDpOptions { ClipNorm = 0.7, TargetEpsilon = 2, Delta = 1e-6 }, fractionFit: 0.3, rounds: Rounds);
        RoundInput input = Input(strategy, Spec(3), 10);

        TrainingPlan plan = strategy.PlanTraining(input);

        Assert.Equal(3, plan.Sites.Count);
        ClientDpRound round = Assert.IsType<ClientDpRound>(plan.ClientDp);
        Assert.Equal(0.3, round.SampleRate, 12);
        Assert.Equal(0.7, round.ClipNorm);
        Assert.Equal(1e-6, round.Delta);
        Assert.False(round.ReportUnclippedBit);
        double z = round.NoiseMultiplier;
        // The accountant's view: the draw from the job seed is known to the coordinator, so q = 1 over every round.
        Assert.Equal(z, NoiseCalibrator.TryCalibrate(new NoiseCalibrationOptions { TargetEpsilon = 2, Delta = 1e-6, SampleRate = 1.0, Steps = Rounds }, out NoiseCalibration? c) ? c.NoiseMultiplier : double.NaN);
        Assert.True(RdpAccountant.ComputeEpsilon(1.0, z, Rounds, 1e-6).Epsilon <= 2);
        Assert.True(RdpAccountant.ComputeEpsilon(1.0, z * 0.99, Rounds, 1e-6).Epsilon > 2);
        ClientDpCalibration calibration = Assert.IsType<ClientDpCalibration>(strategy.Calibration);
        Assert.Equal(RdpAccountant.ComputeEpsilon(1.0, z, Rounds, 1e-6).Epsilon, calibration.Epsilon);
    }

    [Fact]
    public void Calibrate_Adaptive_SplitsTheNoiseAndRefusesZAtLeastTwiceTheBitNoise()
    {
        ClientDpStrategy ok = Strategy(new ClientLevelDpOptions { NoiseMultiplier = 1.0, Adaptive = new() });
        ClientDpCalibration c = ok.Calibrate(100, 100); // default σ_b = m/20 = 5
        Assert.Equal(5.0, c.BitNoise);
        Assert.Equal(1.005037815, c.UpdateNoiseMultiplier, 1e-8);
        Assert.Equal(1.0, c.NoiseMultiplier);

        ClientDpStrategy refused = Strategy(new ClientLevelDpOptions { NoiseMultiplier = 1.0, Adaptive = new() });
        Assert.Contains("2σ_b", Assert.Throws<InvalidOperationException>(() => refused.Calibrate(10, 10)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RefusesStrategiesThatNeedIndividualUpdates()
    {
        RobustAggregationStrategy robust = new(new RobustOptions { Rule = RobustRule.Median });

        Assert.Throws<ArgumentException>(() => new ClientDpStrategy(robust, new ClientDpSettings(new ClientLevelDpOptions { NoiseMultiplier = 1 }, "job", 3), ClientDpStrategy.SeededNoise));
    }

    [Fact]
    public void PlanTraining_RefusesControlVariates()
    {
        ClientDpStrategy strategy = new(new ScaffoldStrategy(new ScaffoldOptions()), new ClientDpSettings(new ClientLevelDpOptions { NoiseMultiplier = 1 }, "job", 3), ClientDpStrategy.SeededNoise);

        Assert.Throws<InvalidOperationException>(() => strategy.PlanTraining(Input(strategy, Spec(3), 4)));
    }
}
