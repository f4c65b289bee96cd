using System.Diagnostics;
using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Distributed;
using Consortia.Privacy.DpSgd;
using Consortia.Privacy.Mechanisms;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.Benchmarking;

/// <summary>
/// The privacy–utility benchmark behind <c>consortia bench dp</c>: test accuracy against ε for sample-level DP-SGD,
/// client-level DP-FedAvg with central noise and with distributed noise under secure aggregation, DP-SGD's throughput
/// against non-private training, and what distributed noise costs a site per round.
/// </summary>
public static class DpBenchmark
{
    /// <summary>The ε values compared; <see langword="null"/> is the same job without DP.</summary>
    public static IReadOnlyList<double?> Epsilons { get; } = [0.5, 1, 2, 4, 8, null];

    /// <summary>The ε values of the distributed rows.</summary>
    public static IReadOnlyList<double> DistributedEpsilons { get; } = [1, 2, 4, 8];

    /// <summary>Runs each job at every ε of <see cref="Epsilons"/> for every seed and averages the final mean test accuracy.</summary>
    /// <param name="sampleLevelJob">A job with <c>privacy.dp</c> in sample-level mode (DP-SGD); its ε is varied.</param>
    /// <param name="sampleLevelData">Its data.</param>
    /// <param name="clientLevelJob">A job with client-level DP-FedAvg; its ε is varied (z calibrated for its sampling and rounds).</param>
    /// <param name="clientLevelData">Its data.</param>
    /// <param name="seeds">The seeds to average over.</param>
    /// <param name="cancellationToken">Cancels the runs.</param>
    /// <returns>
    /// One row per mode and ε: sample-level rows first, then client-level (central noise), each in the order of
    /// <see cref="Epsilons"/>, then distributed rows (the client-level job under secure aggregation, the sites adding
    /// the noise) at <see cref="DistributedEpsilons"/>.
    /// </returns>
    /// <exception cref="ArgumentException">A job lacks the DP section it is meant to vary, or no seed is given.</exception>
    public static async Task<IReadOnlyList<DpUtilityRow>> MeasureUtilityAsync(
        JobDefinition sampleLevelJob,
        FederatedDataset sampleLevelData,
        JobDefinition clientLevelJob,
        FederatedDataset clientLevelData,
        IReadOnlyList<ulong> seeds,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sampleLevelJob);
        ArgumentNullException.ThrowIfNull(clientLevelJob);
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentOutOfRangeException.ThrowIfZero(seeds.Count, nameof(seeds));
        Sites.SiteDpSettings dp = sampleLevelJob.Engine.Dp ?? throw new ArgumentException("The job has no sample-level privacy.dp section to vary.", nameof(sampleLevelJob));
        Strategies.ClientDp.ClientDpSettings clientDp = clientLevelJob.ClientDp ?? throw new ArgumentException("The job has no client-level privacy.dp section to vary.", nameof(clientLevelJob));

        List<DpUtilityRow> rows = [];
        foreach (double? epsilon in Epsilons)
        {
            JobDefinition job = sampleLevelJob with
            {
                Engine = sampleLevelJob.Engine with
                {
                    Dp = epsilon is { } e ? dp with { Options = dp.Options with { TargetEpsilon = e, NoiseMultiplier = null } } : null,
                    EvaluateEvery = sampleLevelJob.Engine.Rounds,
                },
            };
            rows.Add(await UtilityRowAsync("sample-level", epsilon, job, sampleLevelData, seeds, cancellationToken).ConfigureAwait(false));
        }

        // Client-level DP-FedAvg: z calibrated for q = sites sampled / sites and the job's rounds; ∞ is the same job without DP.
        // Central noise: the coordinator adds it (no secure aggregation, or a trusted coordinator).
        foreach (double? epsilon in Epsilons)
        {
            JobDefinition job = clientLevelJob with
            {
                ClientDp = epsilon is { } e ? clientDp with { Options = clientDp.Options with { TargetEpsilon = e, NoiseMultiplier = null }, SecureAggregation = null, TrustedCoordinator = false } : null,
                Engine = clientLevelJob.Engine with { EvaluateEvery = clientLevelJob.Engine.Rounds, SecureAggregation = null },
            };
            rows.Add(await UtilityRowAsync("client-level", epsilon, job, clientLevelData, seeds, cancellationToken).ConfigureAwait(false));
        }

        // Distributed: the same job under secure aggregation, each site adding its share of the job's mechanism (the
        // discrete Gaussian unless the job names skellam), sized for the threshold t.
        SecureAggregation.SecureAggregationSettings secure = clientLevelJob.Engine.SecureAggregation ?? new SecureAggregation.SecureAggregationSettings();
        foreach (double epsilon in DistributedEpsilons)
        {
            JobDefinition job = clientLevelJob with
            {
                ClientDp = clientDp with { Options = clientDp.Options with { TargetEpsilon = epsilon, NoiseMultiplier = null }, SecureAggregation = secure, TrustedCoordinator = false },
                Engine = clientLevelJob.Engine with { EvaluateEvery = clientLevelJob.Engine.Rounds, SecureAggregation = secure },
            };
            rows.Add(await UtilityRowAsync("distributed", epsilon, job, clientLevelData, seeds, cancellationToken).ConfigureAwait(false));
        }

        return rows;
    }

    /// <summary>Examples per second of DP-SGD (Poisson, σ = 1, C = 1) and of plain SGD, batch 64, on a one-hidden-layer MLP, measured back to back.</summary>
    /// <param name="name">The row name (e.g. <c>30-64-1</c>).</param>
    /// <param name="features">Input features.</param>
    /// <param name="hidden">Hidden units.</param>
    /// <returns>The two throughputs.</returns>
    public static DpThroughputRow MeasureThroughput(string name, int features, int hidden)
    {
        ArgumentNullException.ThrowIfNull(name);
        ModelSpec spec = new(ModelKind.Mlp, features, [hidden]);
        RandomSource random = new(1);
        int rows = 6400;
        float[] x = new float[rows * features];
        float[] y = new float[rows];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextGaussian();
        }

        for (int r = 0; r < rows; r++)
        {
            y[r] = x[r * features] > 0 ? 1f : 0f;
        }

        Dataset data = new([.. Enumerable.Range(0, features).Select(i => $"f{i}")], x, y);
        LocalTrainingOptions options = new() { BatchSize = 64, LocalEpochs = 1, Optimizer = new() { LearningRate = 0.01f } };
        float[] parameters = new float[spec.CreateLayout().Length];
        LocalTrainer plain = new(spec, 64);
        DpSgdTrainer dp = new(spec);
        SeededNoiseSource noise = new(random.Derive("noise"));
        int repeats = features > 100 ? 3 : 30;

        // Warm up both paths (tiered JIT), then time them alternately so load on the shared machine hits both alike.
        for (int i = 0; i < (features > 100 ? 2 : 20); i++)
        {
            plain.Train(parameters, data, options, random);
            dp.Train(parameters, data, options, 1.0, 1.0, BatchSampling.Poisson, random, noise);
        }

        TimeSpan plainTime = TimeSpan.Zero, dpTime = TimeSpan.Zero;
        long plainExamples = 0, dpExamples = 0;
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            plainExamples += plain.Train(parameters, data, options, random).ExamplesSeen;
            plainTime += Stopwatch.GetElapsedTime(start);
            start = Stopwatch.GetTimestamp();
            dpExamples += dp.Train(parameters, data, options, 1.0, 1.0, BatchSampling.Poisson, random, noise).ExamplesSeen;
            dpTime += Stopwatch.GetElapsedTime(start);
        }

        return new DpThroughputRow(name, dpExamples / dpTime.TotalSeconds, plainExamples / plainTime.TotalSeconds);
    }

    /// <summary>
    /// Per site and round, the cost of distributed noise (rotation, conditional rounding and the site's noise share,
    /// from the operating system's CSPRNG, as a deployed site draws it) against the fixed-point encoding without noise
    /// measured back to back, for a client-level job at ε = 4 over one round with four sites (t = 3), the heart example's
    /// setting.
    /// </summary>
    /// <param name="parameters">d, the model's parameter count.</param>
    /// <param name="mechanism">The sites' noise.</param>
    /// <returns>The two mean times.</returns>
    public static DpNoiseCostRow MeasureSiteNoiseCost(int parameters, DistributedMechanism mechanism = DistributedMechanism.DiscreteGaussian)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters, 1);
        ClientLevelDpOptions options = new() { TargetEpsilon = 4, ClipNorm = 1, Mechanism = mechanism };
        DistributedDpParameters calibration = DistributedDp.Calibrate(options, parameters, participants: 4, minimumContributors: 3, sampleRate: 1, rounds: 1);
        RandomSource random = new(3);
        float[] update = [.. Enumerable.Range(0, parameters).Select(_ => (float)random.NextGaussian())];
        ClientLevelMechanism.ClipUpdate(update, 1);
        FixedPointOptions fixedPoint = new() { ClipRange = 1, MaxSummands = 4 };
        ulong seed = RandomizedHadamard.SeedFor("bench", 1);
        using CryptographicWordSource words = new();
        using DeterministicSecureRandom rounding = new(7);
        // Skellam's exact Poisson draws cost ∝ D·μ_l: few repeats for larger models. The discrete Gaussian's cost is O(D).
        int repeats = mechanism == DistributedMechanism.Skellam ? (parameters > 500 ? 2 : 20) : (parameters > 50_000 ? 5 : 20);
        uint[] encoded = new uint[parameters];
        DistributedDp.EncodeSite(update, 1, null, calibration, seed, words); // warm-up (JIT)
        new FixedPointCodec(fixedPoint).Quantize(update, encoded, rounding);

        TimeSpan noise = TimeSpan.Zero, plain = TimeSpan.Zero;
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            DistributedDp.EncodeSite(update, 1, null, calibration, seed, words);
            noise += Stopwatch.GetElapsedTime(start);
            start = Stopwatch.GetTimestamp();
            new FixedPointCodec(fixedPoint).Quantize(update, encoded, rounding);
            plain += Stopwatch.GetElapsedTime(start);
        }

        return new DpNoiseCostRow(DistributedDp.Describe(mechanism), parameters, calibration.SiteVariance, noise.TotalMilliseconds / repeats, plain.TotalMilliseconds / repeats);
    }

    private static async Task<DpUtilityRow> UtilityRowAsync(string mode, double? epsilon, JobDefinition job, FederatedDataset data, IReadOnlyList<ulong> seeds, CancellationToken cancellationToken)
    {
        double sum = 0;
        Strategies.ClientDp.ClientDpCalibration? calibration = null;
        Sites.SitePrivacyReport? site = null;
        foreach (ulong seed in seeds)
        {
            SimulationResult result = await FederatedSimulation.RunAsync(job with { Seed = seed }, data, null, null, cancellationToken).ConfigureAwait(false);
            sum += result.Final.Mean[0].Value;
            calibration = result.ClientPrivacy;
            site = result.Privacy.Count == 0 ? null : result.Privacy.MaxBy(p => p.Epsilon);
        }

        return new DpUtilityRow(mode, epsilon, sum / seeds.Count)
        {
            ReportedEpsilon = calibration?.Epsilon,
            NoiseMultiplier = calibration?.NoiseMultiplier,
            SiteEpsilon = site?.Epsilon,
            Mechanism = site?.Mechanism,
        };
    }
}
