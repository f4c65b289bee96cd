using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Federation.Strategies.ClientDp;

/// <summary>
/// Client-level DP-FedAvg as a decorator over any sum-decomposable strategy (FedAvg, FedProx, FedAdam, FedYogi,
/// FedAdagrad, FedAvgM): the sites clip their whole update to C, the noise is added — by the sites (distributed
/// discrete Gaussian or Skellam, the default under secure aggregation) or by the coordinator (N(0, (z·C)²), only without secure aggregation
/// or with <c>trusted_coordinator</c>) — and the sum is divided by the number of sites sampled; the wrapped strategy's
/// server step consumes that private average.
/// </summary>
/// <remarks>
/// <para>
/// McMahan, Ramage, Talwar, Zhang (2018), "Learning Differentially Private Recurrent Language Models", ICLR; adaptive
/// clipping: Andrew, Thakkar, McMahan, Ramaswamy (2021), "Differentially Private Learning with Adaptive Clipping",
/// NeurIPS. Everything after the noise is post-processing, so server optimizers (momentum, Adam) keep the guarantee.
/// </para>
/// <para>
/// Uniform weights and a fixed denominator: every site counts once and the sum is divided by m, the number of sites
/// sampled (decided before any site answers), not by the number that answered nor by example counts. Either of those
/// would make the average's sensitivity depend on the data (a site with many records, or a site dropping out, would
/// move it by more than C/m), and the noise would no longer cover one site.
/// </para>
/// <para>
/// Needs only the sum of updates (and, with adaptive clipping, the sum of the sites' b − ½), so it runs unchanged under
/// secure aggregation. Calibration (<see cref="ClientLevelAccounting"/>): the draw of sites from the job seed is known to the
/// coordinator, so it amplifies nothing; the job's ε is that of a site taking part in every round, and a target ε is
/// met by the smallest such z. The wrapped strategy's
/// <see cref="IStrategy.PlanTraining"/> must be a pure function of its input (those of this library are), because the
/// decorator re-plans in <see cref="Aggregate"/> to recover m.
/// </para>
/// </remarks>
public sealed class ClientDpStrategy : IStrategy
{
    private static readonly CryptographicNoiseSource s_cryptographic = new();
    private readonly IStrategy _inner;
    private readonly ClientDpSettings _settings;
    private readonly Func<RoundInput, INoiseSource> _noise;
    private ClientDpCalibration? _calibration; // cache: calibration depends only on (m, N)

    /// <summary>Wraps <paramref name="inner"/> with client-level DP.</summary>
    /// <param name="inner">A strategy that works from the sum of updates.</param>
    /// <param name="settings">The job's client-level DP settings.</param>
    /// <param name="noise">
    /// The central noise source for a round: <see cref="CryptographicNoise"/> in real runs, <see cref="SeededNoise"/> in
    /// tests and simulation (then the strategy is a pure function of its input, like every other strategy).
    /// </param>
    /// <exception cref="ArgumentException">The wrapped strategy needs individual updates, or the options are invalid.</exception>
    public ClientDpStrategy(IStrategy inner, ClientDpSettings settings, Func<RoundInput, INoiseSource> noise)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(noise);
        settings.Options.Validate();
        if (inner.Traits.NeedsIndividualUpdates)
        {
            throw new ArgumentException("privacy.dp: client-level DP needs a strategy that works from the sum of updates; robust aggregation rules look at individual updates.", nameof(inner));
        }

        if (settings.TotalRounds <= 0)
        {
            throw new ArgumentException($"training.rounds: expected a positive integer, got {settings.TotalRounds}.", nameof(settings));
        }

        _inner = inner;
        _settings = settings;
        _noise = noise;
    }

    /// <summary>Noise from the operating system's CSPRNG, for real runs (it cannot be seeded).</summary>
    public static Func<RoundInput, INoiseSource> CryptographicNoise { get; } = static _ => s_cryptographic;

    /// <summary>Noise drawn from the round's seeded random source, for tests and simulation: reproducible, and never for real data.</summary>
    public static Func<RoundInput, INoiseSource> SeededNoise { get; } = input => new SeededNoiseSource(input.Random.Derive("central-dp-noise"));

    /// <inheritdoc />
    public StrategyTraits Traits { get; } = new(NeedsIndividualUpdates: false);

    /// <summary>The wrapped strategy.</summary>
    public IStrategy Inner => _inner;

    /// <summary>The job's client-level DP settings.</summary>
    public ClientDpSettings Settings => _settings;

    /// <summary>The calibration of the last round planned (q, z, the job's ε), or <see langword="null"/> before the first round.</summary>
    public ClientDpCalibration? Calibration => _calibration;

    /// <inheritdoc />
    public StrategyState InitialState(GlobalModel model) => new ClientDpState(_inner.InitialState(model), _settings.Options.ClipNorm);

    /// <summary>The noise for a federation of <paramref name="totalSites"/> sites of which <paramref name="sampledSites"/> are sampled per round.</summary>
    /// <param name="sampledSites">m ≥ 1.</param>
    /// <param name="totalSites">N ≥ m.</param>
    /// <returns>q, z (calibrated from the target ε when one is set), the update's multiplier, σ_b and the job's ε.</returns>
    /// <exception cref="InvalidOperationException">No z reaches the target ε, (adaptive clipping) z ≥ 2σ_b, or the noise is distributed (use the overload with the model's size).</exception>
    public ClientDpCalibration Calibrate(int sampledSites, int totalSites) =>
        _settings.IsDistributed
            ? throw new InvalidOperationException("Distributed DP is calibrated for the model's size: call Calibrate(sampledSites, totalSites, parameters).")
            : Calibrate(sampledSites, totalSites, 1);

    /// <summary>The noise for a federation of <paramref name="totalSites"/> sites of which <paramref name="sampledSites"/> are sampled per round, for a model of <paramref name="parameters"/> values.</summary>
    /// <param name="sampledSites">m ≥ 1.</param>
    /// <param name="totalSites">N ≥ m.</param>
    /// <param name="parameters">d, the model's parameter count (distributed DP rotates and rounds d values).</param>
    /// <returns>
    /// q, z, the update's multiplier, σ_b and the job's ε; under distributed DP also the sites' integer noise, sized for the
    /// fewest contributors the round unmasks, with ε from the mechanism's own accountant.
    /// </returns>
    /// <exception cref="InvalidOperationException">No z reaches the target ε, or (adaptive clipping) z ≥ 2σ_b.</exception>
    public ClientDpCalibration Calibrate(int sampledSites, int totalSites, int parameters)
    {
        if (_calibration is { } known && known.SampledSites == sampledSites && known.TotalSites == totalSites
            && (known.Distributed is null || known.Distributed.PaddedLength == Privacy.Distributed.RandomizedHadamard.PaddedLength(parameters)))
        {
            return known;
        }

        if (sampledSites < 1 || totalSites < sampledSites)
        {
            throw new ArgumentOutOfRangeException(nameof(sampledSites), sampledSites, $"Expected 1 ≤ sampled sites ≤ {totalSites}.");
        }

        ClientLevelDpOptions options = _settings.Options;
        double q = (double)sampledSites / totalSites;
        if (_settings.SecureAggregation is { } secure && _settings.IsDistributed)
        {
            int contributors = _settings.MinimumContributors(sampledSites, secure.SessionThreshold(sampledSites, _settings.MinimumParticipants));
            Privacy.Distributed.DistributedDpParameters d = Privacy.Distributed.DistributedDp.Calibrate(options, parameters, sampledSites, contributors, 1.0, _settings.TotalRounds); // sites are drawn from the public job seed: no amplification (q = 1)
            _calibration = new ClientDpCalibration(sampledSites, totalSites, q, d.NoiseMultiplier, d.UpdateNoiseMultiplier, d.BitNoise, d.Epsilon) { Distributed = d };
            return _calibration;
        }

        double z = options.NoiseMultiplier ?? ClientLevelAccounting.Calibrate(options.TargetEpsilon!.Value, options.Delta, _settings.TotalRounds);

        double zUpdate = z;
        double? bitNoise = null;
        if (options.Adaptive is { } adaptive)
        {
            double sigmaB = adaptive.BitNoise ?? AdaptiveClipping.DefaultBitNoise(sampledSites);
            if (!AdaptiveClipping.CanSplit(z, sigmaB))
            {
                throw new InvalidOperationException(
                    $"Adaptive clipping needs z < 2σ_b, but z = {z:G6} and σ_b = {sigmaB:G6} ({(adaptive.BitNoise is null ? $"the default m/20 with m = {sampledSites}" : "privacy.dp.adaptive.bit_noise")}); raise bit_noise, the target ε, or use fixed clipping.");
            }

            zUpdate = AdaptiveClipping.UpdateNoiseMultiplier(z, sigmaB);
            bitNoise = sigmaB;
        }

        double epsilon = ClientLevelAccounting.Epsilon(z, _settings.TotalRounds, options.Delta).Epsilon; // no amplification by the seeded draw
        ClientDpCalibration calibration = new(sampledSites, totalSites, q, z, zUpdate, bitNoise, epsilon);
        _calibration = calibration;
        return calibration;
    }

    /// <inheritdoc />
    public TrainingPlan PlanTraining(RoundInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ClientDpState state = (ClientDpState)input.State;
        TrainingPlan plan = _inner.PlanTraining(input with { State = state.Inner });
        if (plan.ControlVariate is not null)
        {
            throw new InvalidOperationException("Client-level DP cannot wrap a strategy that sends control variates (SCAFFOLD): they are neither clipped nor noised.");
        }

        ClientDpCalibration calibration = Calibrate(plan.Sites.Count, input.Roster.Count, input.Model.Parameters.Length);
        return plan with
        {
            ClientDp = new ClientDpRound(_settings.JobId, state.ClipNorm, _settings.Options.Adaptive is not null, calibration.NoiseMultiplier, calibration.SampleRate, _settings.Options.Delta)
            {
                Distributed = calibration.Distributed,
            },
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// From individual updates they are summed in the given (canonical) order, so the result equals the one from their
    /// sum: the bound is enforced by the sites, before weighting and quantisation. A round nobody contributed to
    /// releases nothing and keeps the model.
    /// </remarks>
    public StrategyStep Aggregate(RoundInput input, UpdateAggregate updates)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0)
        {
            return new StrategyStep(input.Model.Parameters, input.State);
        }

        ClientDpState state = (ClientDpState)input.State;
        RoundInput innerInput = input with { State = state.Inner };
        int sampled = _inner.PlanTraining(innerInput).Sites.Count;
        ClientDpCalibration calibration = Calibrate(sampled, input.Roster.Count, input.Model.Parameters.Length);
        ParameterLayout layout = input.Model.Parameters.Layout;
        SummedUpdates sum = updates switch
        {
            SummedUpdates s => s,
            IndividualUpdates individual => SiteSampling.Sum(layout, individual.Updates),
            _ => throw new System.Diagnostics.UnreachableException(),
        };

        // Δ̄ = (Σ Δ̂ + N(0, (z_Δ·C)²)) / m, handed to the wrapped strategy as a sum of weight 1 (its mean is Δ̄). Under
        // distributed DP the sites' noise shares are already in the unmasked sum: the coordinator only divides.
        INoiseSource? noise = calibration.Distributed is null ? _noise(input) : null;
        ParameterVector average = sum.WeightedSum.Clone();
        if (noise is null)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(average.Values, (float)sampled, average.Values);
        }
        else
        {
            ClientLevelMechanism.NoisyAverage(average.Values, calibration.UpdateNoiseMultiplier, state.ClipNorm, sampled, noise);
        }

        StrategyStep step = _inner.Aggregate(innerInput, new SummedUpdates(average, 1.0, sum.Contributors));

        double nextClip = state.ClipNorm;
        if (_settings.Options.Adaptive is { } adaptive)
        {
            double bits = sum.UnclippedBitSum ?? throw new InvalidOperationException("Adaptive clipping needs the sum of the sites' unclipped bits, which the round lacks.");
            double fraction = noise is null
                ? Math.Clamp((bits / sampled) + 0.5, 0.0, 1.0) // the bit's noise came from the sites
                : AdaptiveClipping.NoisyUnclippedFraction(bits, calibration.BitNoise!.Value, sampled, noise);
            nextClip = AdaptiveClipping.NextClip(state.ClipNorm, fraction, adaptive.TargetQuantile, adaptive.LearningRate);
        }

        return new StrategyStep(step.Parameters, new ClientDpState(step.State, nextClip));
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return _inner.PlanEvaluation(input with { State = ((ClientDpState)input.State).Inner });
    }

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports)
    {
        ArgumentNullException.ThrowIfNull(input);
        return _inner.Summarise(input with { State = ((ClientDpState)input.State).Inner }, reports);
    }
}
