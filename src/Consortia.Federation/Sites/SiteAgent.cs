using System.Numerics.Tensors;
using Consortia.Learning;
using Consortia.Learning.Evaluation;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.Accounting;
using Consortia.Privacy.Budget;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.DpSgd;
using Consortia.Privacy.Mechanisms;
using Consortia.Federation.SecureAggregation;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.Sites;

/// <summary>
/// The site side of federated learning: holds the site's local data, trains and evaluates on it, and
/// answers tasks with values. The same code runs in simulation and behind a network node.
/// </summary>
/// <remarks>
/// One agent handles one task at a time (its trainer reuses buffers); the transports guarantee it.
/// Local data never leaves the agent: replies carry weighted parameter deltas and aggregate metrics only.
/// </remarks>
public sealed class SiteAgent : IDisposable
{
    private readonly Dataset _train;
    private readonly Dataset _test;
    private readonly IReadOnlyList<MetricKind> _metrics;
    private readonly RandomSource _random;
    private readonly LocalTrainer _trainer;
    private readonly ModelSpec _spec;
    private readonly PrivacyBudgetLedger? _budget;
    private readonly INoiseSource _noise;
    private DpSgdTrainer? _dpTrainer;
    private RdpAccountant? _accountant;
    private RdpAccountant? _clientAccountant; // client-level DP-FedAvg: the rounds this site contributed to
    private (double SampleRate, int Steps, double Sigma)? _calibrated;
    private int _busy; // 1 while a task runs: the trainer's buffers serve one task at a time
    private ParameterVector? _controlVariate; // SCAFFOLD's cᵢ, kept at the site between rounds
    private SecAggClient? _secureClient;      // this round's secure aggregation session, holding the site's update
    private RoundNumber _secureRound;

    /// <summary>Creates an agent over a site's local train and test data.</summary>
    /// <param name="site">The site's name.</param>
    /// <param name="spec">The job's model specification.</param>
    /// <param name="train">Local training data.</param>
    /// <param name="test">Local test data.</param>
    /// <param name="metrics">The evaluation metrics to report.</param>
    /// <param name="random">The site's random source (derived from the job seed and the site).</param>
    /// <param name="maxBatchSize">The largest local batch size.</param>
    /// <param name="budget">The site's privacy budget ledger, or <see langword="null"/> when none is kept.</param>
    /// <param name="noise">The Gaussian noise source for DP-SGD (cryptographic in deployments; seeded in simulation).</param>
    public SiteAgent(SiteId site, ModelSpec spec, Dataset train, Dataset test, IReadOnlyList<MetricKind> metrics, RandomSource random, int maxBatchSize,
        PrivacyBudgetLedger? budget = null, INoiseSource? noise = null)
    {
        ArgumentNullException.ThrowIfNull(site.Value);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(random);
        Site = site;
        _train = train;
        _test = test;
        _metrics = metrics;
        _random = random;
        _trainer = new LocalTrainer(spec, maxBatchSize);
        _spec = spec;
        _budget = budget;
        _noise = noise ?? new CryptographicNoiseSource();
    }

    /// <summary>The site's audit ledger and the job its entries belong to; <see langword="null"/> when none is kept.</summary>
    public (Governance.Audit.AuditLedger Ledger, string JobId)? Audit { get; init; }

    /// <summary>
    /// The site's policy and the job as the policy sees it. When set, the job is checked when its first task
    /// arrives and every training round before any computation; a refusal names the rule.
    /// </summary>
    public (Governance.Policies.PolicyEvaluator Evaluator, Governance.Policies.JobDescriptor Job, TimeProvider Time)? Policy { get; init; }

    private Governance.Policies.PolicyDecision? _jobDecision;

    /// <summary>What DP-SGD (sample level) or DP-FedAvg (client level, as booked by this site) has cost this site in the current job, or <see langword="null"/> without DP.</summary>
    public SitePrivacyReport? Privacy { get; private set; }

    /// <summary>The site's name.</summary>
    public SiteId Site { get; }

    /// <summary>The number of local training examples (the site's aggregation weight).</summary>
    public int TrainingExamples => _train.Count;

    /// <summary>Handles one task and returns the outcome as a value.</summary>
    /// <param name="task">The task.</param>
    /// <param name="cancellationToken">Cancels the wait for the agent; training itself checks it between tasks.</param>
    /// <returns>The reply: completed, refused or failed.</returns>
    public async ValueTask<SiteReply> HandleAsync(SiteTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.Site != Site)
        {
            return new Failed(Site, task.Round, "wrong-site", $"Task addressed to '{task.Site}' reached site '{Site}'.");
        }

        ParameterVector? parameters = task switch
        {
            TrainTask t => t.GlobalParameters,
            EvaluateTask e => e.Parameters,
            _ => null,
        };
        if (parameters is not null && (!parameters.Layout.Equals(_trainer.Model.Layout) || !parameters.IsFinite()))
        {
            return new Failed(Site, task.Round, "invalid-parameters", $"The parameters do not fit this job's model ({_trainer.Model.Layout.Length} finite values expected).");
        }

        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return new Failed(Site, task.Round, "site-busy", "The site is still working on another task.");
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield(); // run the CPU-bound work off the caller's synchronous path
            if (task is TrainTask policed && CheckPolicy(policed) is { } policyRefusal)
            {
                return policyRefusal; // refused before any computation
            }

            if (task is TrainTask { Dp: { } dp } dpTask && Charge(dpTask, dp) is { } refusal)
            {
                return refusal; // refused before any computation
            }

            if (task is TrainTask { ClientDp: { } clientDp } clientTask && ChargeClientLevel(clientTask, clientDp) is { } clientRefusal)
            {
                return clientRefusal; // refused before any computation
            }

            return task switch
            {
                TrainTask { SecureSession: { } session } train => Prepare(train, session),
                TrainTask train => Train(train),
                SecAggTask secure => HandleSecAgg(secure),
                EvaluateTask evaluate => Evaluate(evaluate),
                _ => throw new System.Diagnostics.UnreachableException(),
            };
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or ArithmeticException)
        {
            // The code and the exception type reach the coordinator; messages may quote local values, so they stay here.
            return new Failed(Site, task.Round, "site-error", $"{error.GetType().Name} while handling {task.GetType().Name}.");
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Trains, then hands the encoded update to a fresh secure aggregation client instead of sending it:
    /// from here on the update leaves the site only masked.
    /// </summary>
    private TrainingPrepared Prepare(TrainTask task, SecureTrainingSession session)
    {
        SiteUpdate update = Train(task).Update;
        float[] vector = SecureUpdateLayout.Encode(update, session.ControlVariates, session.UnclippedBit);
        FixedPointCodec codec = new(session.Quantization);
        uint[] encoded = new uint[vector.Length];

        // Stochastic rounding draws come from the job seed so simulations stay reproducible; the masks,
        // which protect the update, come from the system's cryptographic generator.
        using (DeterministicSecureRandom rounding = new(_random.Derive("quantise").Derive((ulong)task.Round.Value).NextUInt64()))
        {
            codec.Quantize(vector, encoded, rounding);
        }

        _secureClient?.Dispose();
        _secureClient = new SecAggClient(session.Session, new ParticipantIndex(session.Participant), SystemSecureRandom.Instance);
        _secureClient.ProvideInput(encoded);
        _secureRound = task.Round;
        Array.Clear(vector);
        Array.Clear(encoded);
        return new TrainingPrepared(Site, task.Round, update.Steps);
    }

    private SiteReply HandleSecAgg(SecAggTask task)
    {
        if (_secureClient is null || task.Round != _secureRound)
        {
            return new Failed(Site, task.Round, "secagg-no-session", "No secure aggregation session is open at this site for that round.");
        }

        return _secureClient.Handle(task.Message) switch
        {
            ClientStep.Reply reply => Sent(task, reply.Message),
            ClientStep.Rejected rejected => new Failed(Site, task.Round, "secagg-rejected", $"{rejected.Rejection.Error}: the site ignored a protocol message."),
            ClientStep.Aborted aborted => new Failed(Site, task.Round, "secagg-aborted", $"{aborted.Rejection.Error}: the site left the session."),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    /// <summary>The job once, then each round, against the site's policy; every decision goes to the site's ledger.</summary>
    private Refused? CheckPolicy(TrainTask task)
    {
        if (Policy is not { } policy)
        {
            return null;
        }

        if (_jobDecision is null)
        {
            _jobDecision = policy.Evaluator.Evaluate(policy.Job, policy.Time.GetUtcNow(), _budget?.GetSpent().Epsilon ?? 0);
            RecordPolicyChange(_jobDecision);
            Audit?.Ledger.Append(Governance.Audit.Events.PolicyDecisionEvent.From(policy.Job.JobId, null, _jobDecision));
        }

        Governance.Policies.PolicyDecision decision = _jobDecision;
        if (decision.Accepted)
        {
            decision = policy.Evaluator.EvaluateRound(new Governance.Policies.RoundDescriptor(policy.Job.JobId, task.Round.Value, task.Participants), policy.Time.GetUtcNow());
            if (!decision.Accepted)
            {
                Audit?.Ledger.Append(Governance.Audit.Events.PolicyDecisionEvent.From(policy.Job.JobId, task.Round.Value, decision));
            }
        }

        if (decision.Accepted)
        {
            return null;
        }

        Governance.Policies.RuleResult first = decision.FailedRules.First();
        return new Refused(Site, task.Round, first.Rule, first.Reason);
    }

    /// <summary>Writes a configuration-change entry when the policy in force differs from the last one this ledger saw.</summary>
    private void RecordPolicyChange(Governance.Policies.PolicyDecision decision)
    {
        if (Audit is not { } audit || decision.PolicySha256 is not { } current)
        {
            return;
        }

        string? previous = audit.Ledger.ReadEntries()
            .Select(e => e.Event)
            .OfType<Governance.Audit.Events.ConfigurationChangeEvent>()
            .LastOrDefault(e => e.Item == "site-policy")?.NewSha256;
        if (previous != current)
        {
            audit.Ledger.Append(new Governance.Audit.Events.ConfigurationChangeEvent("site-policy", previous, current, $"site policy version {decision.PolicyVersion} in force"));
        }
    }

    /// <summary>
    /// Books the round's DP-SGD cost to the site's budget before anything is computed; returns a refusal when
    /// the charge would exceed the lifetime budget.
    /// </summary>
    private Refused? Charge(TrainTask task, SiteDpSettings dp)
    {
        double q = DpSgdTrainer.SampleRate(task.Training, _train.Count);
        int steps = task.Training.StepsFor(_train.Count);
        double sigma = NoiseMultiplierFor(dp, q, steps);
        if (_budget is not null)
        {
            ChargeOutcome outcome = _budget.TryCharge(new PrivacyCharge.SampledGaussian(dp.JobId, task.Round.Value, q, sigma, steps));
            if (outcome is ChargeOutcome.Refused refused)
            {
                return new Refused(Site, task.Round, "dp-budget", refused.Message);
            }

            if (outcome is ChargeOutcome.Accepted accepted && Audit is { } audit)
            {
                audit.Ledger.Append(new Governance.Audit.Events.PrivacyChargeEvent(audit.JobId, task.Round.Value, Governance.Policies.DpMode.SampleLevel, _budget.GetJobSpent(dp.JobId).Epsilon, dp.Options.Delta));
            }
        }

        return null;
    }

    /// <summary>
    /// Books a client-level DP-FedAvg round to the site's budget before anything is computed. The site charges one
    /// Gaussian mechanism of the job's total multiplier z per round it takes part in, at sampling rate 1: it cannot
    /// verify the coordinator's site sampling (and the coordinator knows who took part), so it claims no
    /// amplification; this bounds the site's loss from above whatever the sampling. Returns a refusal when the
    /// charge would exceed the lifetime budget.
    /// </summary>
    private Refused? ChargeClientLevel(TrainTask task, ClientDpRound dp)
    {
        if (!(dp.NoiseMultiplier > 0) || !double.IsFinite(dp.NoiseMultiplier) || !(dp.ClipNorm > 0) || !double.IsFinite(dp.ClipNorm))
        {
            return new Refused(Site, task.Round, "dp-client-level", $"The round's client-level DP settings are invalid (z = {dp.NoiseMultiplier}, C = {dp.ClipNorm}).");
        }

        if (task.ControlVariate is not null)
        {
            return new Refused(Site, task.Round, "dp-client-level", "Client-level DP cannot release SCAFFOLD's control variates, which are not clipped or noised.");
        }

        if (_budget is not null)
        {
            ChargeOutcome outcome = _budget.TryCharge(new PrivacyCharge.SampledGaussian(dp.JobId, task.Round.Value, 1.0, dp.NoiseMultiplier, 1));
            if (outcome is ChargeOutcome.Refused refused)
            {
                return new Refused(Site, task.Round, "dp-budget", refused.Message);
            }

            if (outcome is ChargeOutcome.Accepted && Audit is { } audit)
            {
                audit.Ledger.Append(new Governance.Audit.Events.PrivacyChargeEvent(audit.JobId, task.Round.Value, Governance.Policies.DpMode.ClientLevel, _budget.GetJobSpent(dp.JobId).Epsilon, dp.Delta));
            }
        }

        _clientAccountant ??= new RdpAccountant();
        _clientAccountant.AddSampledGaussian(1.0, dp.NoiseMultiplier, 1);
        BudgetSpent? lifetime = _budget?.GetSpent();
        Privacy = new SitePrivacyReport(Site, _clientAccountant.GetEpsilon(dp.Delta).Epsilon, dp.Delta, dp.NoiseMultiplier, 1.0, _clientAccountant.History.Sum(h => h.Steps), lifetime?.Epsilon, lifetime?.EpsilonLimit);
        return null;
    }

    private double NoiseMultiplierFor(SiteDpSettings dp, double q, int steps)
    {
        if (dp.Options.NoiseMultiplier is { } sigma)
        {
            return sigma;
        }

        if (_calibrated is { } known && known.SampleRate == q && known.Steps == steps)
        {
            return known.Sigma; // the budget check and the training of a round share one calibration
        }

        // Calibrate once for the whole job: the smallest σ whose ε over every round meets the target.
        NoiseCalibrationOptions calibration = new()
        {
            TargetEpsilon = dp.Options.TargetEpsilon!.Value, // Validate() guarantees σ or a target
            Delta = dp.Options.Delta,
            SampleRate = q,
            Steps = (long)steps * dp.TotalRounds,
        };
        double calibrated = NoiseCalibrator.TryCalibrate(calibration, out NoiseCalibration? result)
            ? result.NoiseMultiplier
            : throw new InvalidOperationException($"No noise multiplier reaches ε = {dp.Options.TargetEpsilon} at this site's sampling rate.");
        _calibrated = (q, steps, calibrated);
        return calibrated;
    }

    private LocalTrainingResult TrainPrivately(ParameterVector local, TrainTask task, SiteDpSettings dp, RandomSource random)
    {
        double q = DpSgdTrainer.SampleRate(task.Training, _train.Count);
        int steps = task.Training.StepsFor(_train.Count);
        double sigma = NoiseMultiplierFor(dp, q, steps);
        _dpTrainer ??= new DpSgdTrainer(_spec);
        LocalTrainingResult result = _dpTrainer.Train(local.Values, _train, task.Training, sigma, dp.Options.ClipNorm, dp.Options.Sampling, random, _noise);
        _accountant ??= new RdpAccountant();
        _accountant.AddSampledGaussian(q, sigma, result.Steps);
        PrivacyGuarantee spent = _accountant.GetEpsilon(dp.Options.Delta);
        BudgetSpent? lifetime = _budget?.GetSpent();
        Privacy = new SitePrivacyReport(Site, spent.Epsilon, dp.Options.Delta, sigma, q, _accountant.History.Sum(h => h.Steps), lifetime?.Epsilon, lifetime?.EpsilonLimit);
        return result;
    }

    private SecAggReplied Sent(SecAggTask task, Consortia.SecureAggregation.Protocol.Messages.SecAggClientMessage message)
    {
        if (message is Consortia.SecureAggregation.Protocol.Messages.MaskedInput masked && Audit is { } audit)
        {
            audit.Ledger.Append(new Governance.Audit.Events.UpdateSentEvent(audit.JobId, task.Round.Value, UpdateHash.Of(masked.Vector.Span), masked.Vector.Length * sizeof(uint), Governance.Audit.Events.UpdateKind.Masked));
        }

        return new SecAggReplied(Site, task.Round, message);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _secureClient?.Dispose();
        _secureClient = null;
        (_noise as IDisposable)?.Dispose();
    }

    private TrainingCompleted Train(TrainTask task)
    {
        ParameterVector local = task.GlobalParameters.Clone();
        RandomSource random = _random.Derive("train").Derive((ulong)task.Round.Value);
        float[]? correction = null;
        if (task.ControlVariate is { } serverControl)
        {
            // SCAFFOLD: correct every local gradient by c − cᵢ.
            _controlVariate ??= new ParameterVector(serverControl.Layout);
            correction = new float[serverControl.Length];
            TensorPrimitives.Subtract(serverControl.Values, _controlVariate.Values, correction);
        }

        LocalTrainingResult result = task.Dp is { } dp
            ? TrainPrivately(local, task, dp, random)
            : _trainer.Train(local.Values, _train, task.Training, random, task.GlobalParameters.Values, correction);
        if (!local.IsFinite())
        {
            throw new ArithmeticException("Local training diverged (non-finite parameters).");
        }

        // Send weight · (local − global): the coordinator then needs only sums, which secure aggregation allows.
        double weight = _train.Count;
        Span<float> delta = local.Values;
        TensorPrimitives.Subtract(delta, task.GlobalParameters.Values, delta);
        ParameterVector? controlDelta = null;
        if (correction is not null && task.ControlVariate is { } c && _controlVariate is { } ci)
        {
            // Option II of Karimireddy et al.: cᵢ⁺ = cᵢ − c + (x − yᵢ)/(K·η) = cᵢ − c − Δ/(K·η); send cᵢ⁺ − cᵢ.
            controlDelta = new ParameterVector(c.Layout);
            float scale = -1f / (result.Steps * task.Training.Optimizer.LearningRate);
            TensorPrimitives.Multiply(delta, scale, controlDelta.Values);
            TensorPrimitives.Subtract(controlDelta.Values, c.Values, controlDelta.Values);
            TensorPrimitives.Add(ci.Values, controlDelta.Values, ci.Values);
        }

        double? unclippedBit = null;
        double trainLoss = result.MeanLoss;
        if (task.ClientDp is { } clientDp)
        {
            // Client-level DP-FedAvg: clip the whole, unweighted update here, before any weighting or quantisation;
            // every site then counts once (weight 1) and its loss stays local (it is not part of the private release).
            double norm = ClientLevelMechanism.ClipUpdate(delta, clientDp.ClipNorm);
            unclippedBit = clientDp.ReportUnclippedBit ? ClientLevelMechanism.CentredUnclippedBit(norm, clientDp.ClipNorm) : null;
            weight = 1.0;
            trainLoss = double.NaN;
        }
        else
        {
            TensorPrimitives.Multiply(delta, (float)weight, delta);
        }

        SiteUpdate update = new(Site, local, weight, trainLoss, result.Steps, controlDelta) { UnclippedBit = unclippedBit };
        if (Audit is { } audit)
        {
            audit.Ledger.Append(new Governance.Audit.Events.RoundTrainedEvent(audit.JobId, task.Round.Value, result.ExamplesSeen));
            if (task.SecureSession is null)
            {
                audit.Ledger.Append(new Governance.Audit.Events.UpdateSentEvent(audit.JobId, task.Round.Value, UpdateHash.Of(local.Values), local.Length * sizeof(float), Governance.Audit.Events.UpdateKind.Plain));
            }
        }

        return new TrainingCompleted(Site, task.Round, update);
    }

    private EvaluationCompleted Evaluate(EvaluateTask task)
    {
        if (Audit is { } audit && task.Round.Value > 0)
        {
            // The model to evaluate is the round's aggregate: the site records exactly what it received.
            audit.Ledger.Append(new Governance.Audit.Events.AggregateReceivedEvent(audit.JobId, task.Round.Value, UpdateHash.Of(task.Parameters.Values), task.Contributors));
        }

        IReadOnlyList<(MetricKind Kind, double Value)> values = ModelEvaluator.Evaluate(_trainer.Model, task.Parameters.Values, _test, _metrics);
        // A metric over fewer records than the site's policy allows is withheld (NaN: left out of the means).
        MetricValue[] metrics = [.. values.Select(v => Policy is { } policy && policy.Evaluator.SuppressMetric(v.Kind.ReportName(), v.Value, _test.Count).Suppressed
            ? new MetricValue(v.Kind, double.NaN)
            : new MetricValue(v.Kind, v.Value))];
        return new EvaluationCompleted(Site, task.Round, new EvaluationReport(Site, _test.Count, metrics));
    }
}
