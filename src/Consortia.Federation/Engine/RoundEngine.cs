using System.Diagnostics;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;
using Consortia.SecureAggregation.Signing;

namespace Consortia.Federation.Engine;

/// <summary>
/// Executes one round: plan → dispatch → collect → aggregate → evaluate → report. It does not loop, store or
/// audit: <see cref="JobRunner"/> is the only code that advances rounds (and checkpoints and audits each one).
/// </summary>
/// <remarks>
/// Deterministic: replies are re-ordered into the roster's canonical order before any floating-point
/// sum, and every random choice comes from the job's <see cref="RandomSource"/>, so the same job and seed
/// give bit-identical models whatever order sites answer in.
/// </remarks>
public sealed partial class RoundEngine
{
    private readonly ISiteTransport _transport;
    private readonly IStrategy _strategy;
    private readonly RoundEngineOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates an engine.</summary>
    /// <param name="transport">The way to the sites.</param>
    /// <param name="strategy">The federated strategy.</param>
    /// <param name="options">Round count and evaluation schedule.</param>
    /// <param name="time">The time source for elapsed-time reports (the virtual clock in simulation).</param>
    public RoundEngine(ISiteTransport transport, IStrategy strategy, RoundEngineOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _transport = transport;
        _strategy = strategy;
        _options = options;
        _time = time;
    }

    /// <summary>The job's hash (<see cref="Jobs.JobDefinition.ContentSha256"/>), sent with every task: sites refuse tasks of any other job.</summary>
    /// <value>Default empty (no site built for a job accepts it).</value>
    public string JobSha256 { get; init; } = string.Empty;

    /// <summary>Which start of the job this engine runs rounds for (<see cref="TrainTask.Attempt"/>): a round re-run after a
    /// coordinator crash gets a new identity, which sites require (they contribute to each identity once).</summary>
    /// <value>Default 0.</value>
    public int Attempt { get; init; }

    /// <summary>A job with <c>fairness.reweighting</c>: the sites' summed (group, label) training counts, sent with every training task (<see cref="TrainTask.ReweightingCounts"/>).</summary>
    /// <value>Default <see langword="null"/>: none.</value>
    public IReadOnlyList<long>? ReweightingCounts { get; init; }

    /// <summary>Where the engine reports the secure-aggregation messages it dropped (a signature that does not verify against
    /// <see cref="RoundEngineOptions.Roster"/>, a malformed message), naming the site; none when <see langword="null"/>.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public Microsoft.Extensions.Logging.ILogger? Log { get; init; }

    /// <summary>Runs one round.</summary>
    /// <param name="round">The round number.</param>
    /// <param name="model">The current global model.</param>
    /// <param name="state">The strategy state.</param>
    /// <param name="random">The job's random source.</param>
    /// <param name="evaluate">Whether to evaluate the new model.</param>
    /// <param name="cancellationToken">Cancels the round.</param>
    /// <returns>The new model, state and the round's report.</returns>
    public async Task<(GlobalModel Model, StrategyState State, RoundReport Report)> RunRoundAsync(
        RoundNumber round, GlobalModel model, StrategyState state, RandomSource random, bool evaluate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(random);
        long start = _time.GetTimestamp();
        IReadOnlyList<SiteId> roster = _transport.Roster;
        RoundInput input = new(round, model, state, roster, random.Derive("round").Derive((ulong)round.Value))
        {
            Capacities = _transport is ISiteCapacities capacities ? capacities.Capacities : new Dictionary<SiteId, SiteCapacity>(),
        };
        TrainingPlan plan = _strategy.PlanTraining(input);
        if (_options.SecureAggregation is { } secure)
        {
            return await RunSecureRoundAsync(input, plan, secure, evaluate, start, cancellationToken).ConfigureAwait(false);
        }

        SiteTask[] tasks = [.. plan.Sites.Select(site => (SiteTask)new TrainTask(site, round, model.Parameters, plan.TrainingFor(site), plan.ControlVariate, Dp: _options.Dp) { Participants = plan.Keep ?? plan.Sites.Count, ClientDp = plan.ClientDp, JobSha256 = JobSha256, Attempt = Attempt, NormaliseWork = plan.NormaliseWork, ReweightingCounts = ReweightingCounts })];
        List<SiteUpdate> updates = [];
        List<Refused> refusals = [];
        List<SiteReply> failures = [];
        Dictionary<SiteId, SitePrivacyReport> privacy = [];
        await foreach (SiteReply reply in _transport.DispatchAsync(tasks, plan.Deadline, cancellationToken).ConfigureAwait(false))
        {
            switch (reply)
            {
                case TrainingCompleted completed when IsAcceptable(completed.Update, model):
                    updates.Add(StalenessWeighted(completed, round));
                    Collect(privacy, completed.Site, completed.Privacy);
                    break;
                case TrainingCompleted completed:
                    failures.Add(new Failed(completed.Site, round, "invalid-update", "The update has the wrong layout, a non-finite value or a non-positive weight."));
                    break;
                case Refused refused:
                    refusals.Add(refused);
                    break;
                default:
                    failures.Add(reply);
                    break;
            }

            if (updates.Count == plan.Keep)
            {
                // Over-selection: the first Keep updates to arrive are the round's; the sites still working are not waited for.
                // Asynchronous (FedBuff): they are not missed, they carry on and answer in a later round.
                if (!plan.Asynchronous)
                {
                    HashSet<SiteId> answered = [.. updates.Select(u => u.Site), .. refusals.Select(r => r.Site), .. failures.Select(f => f.Site)];
                    failures.AddRange(plan.Sites.Where(s => !answered.Contains(s)).Select(s => new Missed(s, round)));
                }

                break;
            }
        }

        // Canonical order: sums must not depend on which site answered first.
        Dictionary<SiteId, int> order = roster.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);
        updates.Sort((a, b) => order[a.Site].CompareTo(order[b.Site]));

        bool aggregated = updates.Count >= _options.MinimumParticipants && updates.Count > 0;
        GlobalModel next = model;
        StrategyState nextState = state;
        if (aggregated)
        {
            UpdateAggregate aggregate = _strategy.Traits.NeedsIndividualUpdates
                ? new IndividualUpdates(updates)
                : SiteSampling.Sum(model.Parameters.Layout, updates);
            StrategyStep step = _strategy.Aggregate(input, aggregate);
            if (step.Parameters.IsFinite())
            {
                next = model with { Parameters = step.Parameters, Round = round };
                nextState = step.State;
            }
            else
            {
                aggregated = false;
            }
        }

        MetricSummary? evaluation = null;
        if (evaluate)
        {
            RoundInput evaluationInput = input with { Model = next, State = nextState };
            evaluation = await EvaluateAsync(evaluationInput, order, aggregated ? updates.Count : 0, cancellationToken).ConfigureAwait(false);
        }

        // Under DP (client or sample level) the sites' training losses are not part of the private release: none is reported.
        double weight = updates.Sum(u => u.Weight);
        double trainLoss = weight > 0 && plan.ClientDp is null && _options.Dp is null ? updates.Sum(u => u.TrainLoss * u.Weight) / weight : double.NaN;
        RoundReport report = new(round, [.. updates.Select(u => u.Site)], refusals, failures, trainLoss, evaluation, aggregated, _time.GetElapsedTime(start))
        {
            UpdateHashes = [.. updates.Select(u => new KeyValuePair<SiteId, string>(u.Site, UpdateHash.Of(u.WeightedDelta.Values)))],
            Privacy = PrivacyOf(updates.Select(u => u.Site), privacy),
        };
        return (next, nextState, report);
    }

    /// <summary>
    /// A round under secure aggregation: sites train and keep their updates; the coordinator then runs a
    /// SecAgg+ session over the transport and obtains only the sum, which it hands to the strategy.
    /// </summary>
    private async Task<(GlobalModel Model, StrategyState State, RoundReport Report)> RunSecureRoundAsync(
        RoundInput input, TrainingPlan plan, SecureAggregationSettings secure, bool evaluate, long start, CancellationToken cancellationToken)
    {
        RoundNumber round = input.Round;
        GlobalModel model = input.Model;
        List<Refused> refusals = [];
        List<SiteReply> failures = [];
        IReadOnlyDictionary<SiteId, RoundNumber>? held = null;
        if (plan.Asynchronous)
        {
            // FedBuff: sites must mask for a fixed participant set, so the session is formed of the first K sites to finish.
            held = await TrainAndHoldAsync(input, plan, refusals, failures, cancellationToken).ConfigureAwait(false);
        }

        IReadOnlyList<SiteId> sites = [.. input.Roster.Where(held is null ? plan.Sites.Contains : held.ContainsKey)]; // canonical order = participant order
        bool controlVariates = plan.ControlVariate is not null;
        bool unclippedBit = plan.ClientDp is { ReportUnclippedBit: true };
        Privacy.Distributed.DistributedDpParameters? distributed = plan.ClientDp?.Distributed;
        int length = distributed is null
            ? SecureUpdateLayout.Length(model.Parameters.Length, controlVariates, unclippedBit)
            : DistributedUpdateLayout.Length(distributed); // the sites' rotated, noised integers (§3.5)
        // Always malicious-server mode: the coordinator is not trusted, and sites refuse anything weaker.
        int minimum = SecureAggregationSettings.MinimumAggregateFor(sites.Count, _options.MinimumParticipants);
        SecAggSessionOptions session = new()
        {
            JobId = _options.JobName,
            RoundNumber = round.Value,
            Participants = [.. sites.Select(s => s.Value)],
            VectorLength = length,
            Threshold = secure.SessionThreshold(sites.Count, _options.MinimumParticipants),
            Neighbours = secure.Neighbours,
            SecurityMode = SecAggSecurityMode.MaliciousServer,
            MinimumAggregateSize = minimum,
        };
        FixedPointOptions quantization = new() { ClipRange = secure.ClipRange, MaxSummands = Math.Max(1, sites.Count) };

        SecureTrainingSession SessionFor(int i) => new(session, quantization, i + 1, controlVariates) { UnclippedBit = unclippedBit };
        SiteTask[] tasks = held is null
            ? [.. sites.Select((site, i) => (SiteTask)new TrainTask(site, round, model.Parameters, plan.TrainingFor(site), plan.ControlVariate, SessionFor(i), _options.Dp) { Participants = sites.Count, ClientDp = plan.ClientDp, JobSha256 = JobSha256, Attempt = Attempt, NormaliseWork = plan.NormaliseWork, ReweightingCounts = ReweightingCounts })]
            : [.. sites.Select((site, i) => (SiteTask)new SecureFlushTask(site, round, SessionFor(i), held[site], StalenessScale(round.Value - held[site].Value)) { JobSha256 = JobSha256 })];
        Dictionary<SiteId, SitePrivacyReport> privacy = [];
        await foreach (SiteReply reply in _transport.DispatchAsync(tasks, plan.Deadline, cancellationToken).ConfigureAwait(false))
        {
            switch (reply)
            {
                case TrainingPrepared prepared:
                    // The masked update carries nothing in the clear: the site's accounting comes with its TrainingPrepared.
                    Collect(privacy, prepared.Site, prepared.Privacy);
                    break;
                case Refused refused:
                    refusals.Add(refused);
                    break;
                default:
                    failures.Add(reply);
                    break;
            }
        }

        // Sites that did not prepare simply never answer the session's first stage: the protocol treats them as dropped.
        TransportSecAggChannel channel = new(_transport, round, sites, secure.StageTimeout, JobSha256);
        SecureAggregationOutcome outcome;
        if (SessionProblem(session) is { } problem)
        {
            outcome = new SecureAggregationOutcome.Failed(new SecAggFailure(SecAggError.InsufficientSurvivors, SecAggStage.AdvertiseKeys, problem));
        }
        else
        {
            ISignatureVerifier verifier = _options.Roster is { } roster ? new RosterSignatureVerifier(roster, session.Participants) : RelayedSignatures.Instance;
            outcome = await new SecureAggregator(verifier).AggregateAsync(session, channel, cancellationToken).ConfigureAwait(false);
            if (Log is { } log)
            {
                // Early drop at the coordinator: the offender is named here; the session goes on without it.
                foreach (SecAggRejection rejection in outcome.Rejections)
                {
                    string site = rejection.Participant is { } p && p.Value >= 1 && p.Value <= sites.Count ? sites[p.Value - 1].Value : "(unknown participant)";
                    LogDropped(log, session.JobId, round.Value, site, rejection.Error.ToString(), rejection.Detail);
                }
            }
        }

        GlobalModel next = model;
        StrategyState nextState = input.State;
        bool aggregated = false;
        string? failure = null;
        IReadOnlyList<SiteId> contributors = [];
        double trainLoss = double.NaN;
        switch (outcome)
        {
            case SecureAggregationOutcome.Succeeded { Result: var sum } when sum.Contributors.Count >= _options.MinimumParticipants:
                SummedUpdates summed;
                double weightedLoss = double.NaN;
                if (distributed is not null && plan.ClientDp is { } clientDp)
                {
                    // Distributed DP: the unmasked sum already carries the sites' noise; un-rotate and rescale it.
                    summed = DistributedUpdateLayout.Decode(sum.Sum, model.Parameters.Layout, sum.Contributors.Count, clientDp.ClipNorm, distributed, Privacy.Distributed.RandomizedHadamard.SeedFor(session.JobId, round.Value));
                }
                else
                {
                    float[] decoded = new float[length];
                    new FixedPointCodec(quantization).DecodeSum(sum.Sum, decoded);
                    (summed, weightedLoss) = SecureUpdateLayout.Decode(decoded, model.Parameters.Layout, sum.Contributors.Count, controlVariates, unclippedBit);
                }

                contributors = [.. sum.Contributors.Select(p => sites[p.Value - 1])];
                trainLoss = summed.TotalWeight > 0 && plan.ClientDp is null && _options.Dp is null ? weightedLoss / summed.TotalWeight : double.NaN;
                StrategyStep step = _strategy.Aggregate(input, summed);
                if (step.Parameters.IsFinite())
                {
                    next = model with { Parameters = step.Parameters, Round = round };
                    nextState = step.State;
                    aggregated = true;
                }
                else
                {
                    failure = "The aggregated update is not finite; the previous model is kept.";
                }

                break;
            case SecureAggregationOutcome.Succeeded { Result: var sum }:
                failure = $"Only {sum.Contributors.Count} sites contributed; the job requires {_options.MinimumParticipants}.";
                break;
            case SecureAggregationOutcome.Failed { Failure: var f }:
                failure = $"Secure aggregation failed at {f.Stage} ({f.Error}): {f.Detail} The previous model is kept.";
                break;
            default:
                throw new System.Diagnostics.UnreachableException();
        }

        Dictionary<SiteId, int> order = input.Roster.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);
        MetricSummary? evaluation = null;
        if (evaluate)
        {
            evaluation = await EvaluateAsync(input with { Model = next, State = nextState }, order, aggregated ? contributors.Count : 0, cancellationToken).ConfigureAwait(false);
        }

        RoundReport report = new(round, contributors, refusals, failures, trainLoss, evaluation, aggregated, _time.GetElapsedTime(start), failure)
        {
            UpdateHashes = [.. contributors.Where(channel.MaskedInputHashes.ContainsKey).Select(s => new KeyValuePair<SiteId, string>(s, channel.MaskedInputHashes[s]))],
            Privacy = PrivacyOf(contributors, privacy),
        };
        return (next, nextState, report);
    }

    /// <summary>
    /// FedBuff under secure aggregation, first half: every idle site trains on the current model and holds its update;
    /// the first <see cref="TrainingPlan.Keep"/> to finish (this round's or still working from earlier ones) make the
    /// buffer. Their staleness is known now, before any of them masks, so each can weight its own update.
    /// </summary>
    /// <returns>The buffer's sites and the round each trained in.</returns>
    private async Task<IReadOnlyDictionary<SiteId, RoundNumber>> TrainAndHoldAsync(RoundInput input, TrainingPlan plan, List<Refused> refusals, List<SiteReply> failures, CancellationToken cancellationToken)
    {
        if (plan.ClientDp is not null)
        {
            throw new InvalidOperationException("Asynchronous aggregation (scheduling.buffer) does not run with client-level DP, whose accounting assumes random selection.");
        }

        SiteTask[] tasks = [.. plan.Sites.Select(site => (SiteTask)new TrainTask(site, input.Round, input.Model.Parameters, plan.TrainingFor(site), plan.ControlVariate, Dp: _options.Dp) { Participants = plan.Keep ?? plan.Sites.Count, JobSha256 = JobSha256, Attempt = Attempt, NormaliseWork = plan.NormaliseWork, ReweightingCounts = ReweightingCounts, HoldForSecureAggregation = true })];
        Dictionary<SiteId, RoundNumber> held = [];
        await foreach (SiteReply reply in _transport.DispatchAsync(tasks, plan.Deadline, cancellationToken).ConfigureAwait(false))
        {
            switch (reply)
            {
                case TrainingPrepared prepared:
                    held[prepared.Site] = prepared.Round;
                    break;
                case Refused refused:
                    refusals.Add(refused);
                    break;
                default:
                    failures.Add(reply);
                    break;
            }

            if (held.Count == plan.Keep)
            {
                break; // the sites still working carry on and join a later buffer
            }
        }

        return held;
    }

    /// <summary>
    /// Keeps <paramref name="site"/>'s own privacy report. The transport has already rejected a report that is not the
    /// site's or not well-formed (over the network: the codec); in process the agent reports only its own, so a report
    /// naming another site is simply not kept.
    /// </summary>
    private static void Collect(Dictionary<SiteId, SitePrivacyReport> reports, SiteId site, SitePrivacyReport? report)
    {
        if (report is not null && report.Site == site)
        {
            reports[site] = report;
        }
    }

    /// <summary>The reports of <paramref name="contributors"/> (already in canonical order) that reported one.</summary>
    private static SitePrivacyReport[] PrivacyOf(IEnumerable<SiteId> contributors, Dictionary<SiteId, SitePrivacyReport> reports) =>
        [.. contributors.Where(reports.ContainsKey).Select(s => reports[s])];

    /// <summary>FedBuff's staleness weight 1/√(1 + τ), τ the rounds since the model the update was trained on.</summary>
    private static float StalenessScale(int staleness) => staleness <= 0 ? 1f : (float)(1 / Math.Sqrt(1 + staleness));

    /// <summary>Evaluates <paramref name="input"/>'s model at the sites the strategy picks.</summary>
    private async Task<MetricSummary?> EvaluateAsync(RoundInput input, Dictionary<SiteId, int> order, int contributors, CancellationToken cancellationToken)
    {
        EvaluationPlan? plan = _strategy.PlanEvaluation(input);
        if (plan is null)
        {
            return null;
        }

        SiteTask[] tasks = [.. plan.Sites.Select(site => (SiteTask)new EvaluateTask(site, input.Round, input.Model.Parameters) { Contributors = contributors, JobSha256 = JobSha256 })];
        List<EvaluationReport> reports = [];
        await foreach (SiteReply reply in _transport.DispatchAsync(tasks, null, cancellationToken).ConfigureAwait(false))
        {
            if (reply is EvaluationCompleted completed)
            {
                reports.Add(completed.Report);
            }
        }

        reports.Sort((a, b) => order[a.Site].CompareTo(order[b.Site]));
        return _strategy.Summarise(input, reports);
    }

    /// <summary>Why the session cannot run (e.g. fewer than 3 sites), or <see langword="null"/>.</summary>
    private static string? SessionProblem(SecAggSessionOptions session)
    {
        try
        {
            session.Validate();
            return null;
        }
        catch (ArgumentException error)
        {
            return error.Message;
        }
    }

    /// <summary>
    /// FedBuff's staleness weight: an update trained on the model of an earlier round (asynchronous aggregation) counts
    /// 1/√(1 + τ), τ the rounds since; its data weight is unchanged, so the damping is not averaged away.
    /// </summary>
    private static SiteUpdate StalenessWeighted(TrainingCompleted completed, RoundNumber round)
    {
        int staleness = round.Value - completed.Round.Value;
        if (staleness <= 0)
        {
            return completed.Update;
        }

        ParameterVector scaled = completed.Update.WeightedDelta.Clone();
        System.Numerics.Tensors.TensorPrimitives.Multiply(scaled.Values, StalenessScale(staleness), scaled.Values);
        return completed.Update with { WeightedDelta = scaled };
    }

    private static bool IsAcceptable(SiteUpdate update, GlobalModel model)
    {
        Debug.Assert(update is not null);
        return update.WeightedDelta.Layout.Equals(model.Parameters.Layout)
            && double.IsFinite(update.Weight) && update.Weight > 0
            && update.WeightedDelta.IsFinite()
            && (update.ControlVariateDelta is null || (update.ControlVariateDelta.Layout.Equals(model.Parameters.Layout) && update.ControlVariateDelta.IsFinite()));
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "job {JobId} round {Round}: dropped the secure-aggregation message of site {Site} ({Error}): {Detail}")]
    private static partial void LogDropped(Microsoft.Extensions.Logging.ILogger log, string jobId, int round, string site, string error, string detail);
}
