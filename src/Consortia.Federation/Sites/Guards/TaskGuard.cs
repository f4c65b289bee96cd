using System.Globalization;
using Consortia.Federation.Jobs;
using Consortia.Governance.Policies;
using Consortia.Learning.Training;
using Consortia.Learning.Optimization;
using Consortia.SecureAggregation.Protocol;

namespace Consortia.Federation.Sites.Guards;

/// <summary>
/// The first guard: every task must belong to the job the site accepted (its hash), and a training task must carry
/// exactly the protections of that job and of the site's policy — the coordinator is not trusted to send them.
/// </summary>
/// <remarks>
/// <para>
/// The site checked its policy against the job file it accepted; without this guard it would then obey whatever each
/// task carries, so a coordinator could drop secure aggregation or DP from a task (a protection downgrade) while the
/// job file promised both. Here the task is compared with the accepted job: secure session present exactly when the
/// job (or the policy) requires one, for this job and this round; DP settings equal to the job's; the claimed
/// participants at least the job's minimum (the policy's minimum is checked by the policy guard, next). The first mismatch refuses the task, names the rule and is
/// written to the site's ledger.
/// </para>
/// <para>
/// What the coordinator claims about participants is only a claim; the secure-aggregation session itself enforces its
/// threshold and survivor minimums (the SecAgg client), this guard only refuses a task that does not even claim enough.
/// </para>
/// </remarks>
internal sealed class TaskGuard : ISiteGuard
{
    /// <summary>The task belongs to another job than the one the site accepted.</summary>
    public const string JobRule = "task-job";

    /// <summary>The task's secure session is missing where required, or present where the job has none.</summary>
    public const string SecureAggregationRule = "task-secure-aggregation";

    /// <summary>The secure session names another job or round than the task's.</summary>
    public const string SessionRule = "task-session";

    /// <summary>The task's DP settings differ from the accepted job's.</summary>
    public const string DpRule = "task-dp";

    /// <summary>The round's client-level clip bound is not the accepted job's (or, with adaptive clipping, outside what the job's settings can reach by this round).</summary>
    public const string ClipRule = "task-clip";

    /// <summary>The task's model (its parameter count on this site's data) is not the accepted job's model kind and shape.</summary>
    public const string ModelRule = "task-model";

    /// <summary>The task claims fewer participants than the accepted job promises.</summary>
    public const string ParticipantsRule = "task-participants";

    /// <summary>The task's local training settings differ from the accepted job's (or ask for more work than it does).</summary>
    public const string TrainingRule = "task-training";

    private readonly SiteId _site;
    private readonly JobDefinition _job;
    private readonly string _jobSha256;
    private readonly SitePolicy? _policy;
    private readonly SiteAudit _audit;
    private readonly int? _parameterCount;

    /// <summary>Creates the guard for the job the site accepted.</summary>
    /// <param name="site">The site.</param>
    /// <param name="job">The job as the site parsed it from the file it accepted.</param>
    /// <param name="policy">The site's policy, or <see langword="null"/> (the policy guard then refuses everything).</param>
    /// <param name="audit">The site's ledger.</param>
    /// <param name="parameterCount">The length of the accepted job's model on the site's data (its kind and shape), or
    /// <see langword="null"/> not to check it.</param>
    public TaskGuard(SiteId site, JobDefinition job, SitePolicy? policy, SiteAudit audit, int? parameterCount = null)
    {
        _parameterCount = parameterCount;
        _site = site;
        _job = job;
        _jobSha256 = job.ContentSha256;
        _policy = policy;
        _audit = audit;
    }

    /// <summary>Refuses (and records) any task of another job.</summary>
    /// <param name="task">Any task.</param>
    /// <returns>The refusal, or <see langword="null"/>.</returns>
    public Refused? CheckJob(SiteTask task) =>
        string.Equals(task.JobSha256, _jobSha256, StringComparison.Ordinal)
            ? null
            : Refuse(task, JobRule, $"The task names job {Short(task.JobSha256)}, not the job this site accepted ({Short(_jobSha256)}).");

    /// <inheritdoc />
    public Refused? Check(TrainTask task) => CheckJob(task) ?? CheckProtections(task);

    /// <summary>
    /// Refuses (and records) a FedBuff flush whose session is not this job's and this flush's, or whose staleness weight
    /// would scale the update up (a weight must be in (0, 1]: a larger one would let the coordinator amplify one site).
    /// </summary>
    /// <param name="task">The flush.</param>
    /// <returns>The refusal, or <see langword="null"/>.</returns>
    public Refused? CheckFlush(SecureFlushTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (CheckJob(task) is { } job)
        {
            return job;
        }

        if (_job.Engine.SecureAggregation is null)
        {
            return Refuse(task, SecureAggregationRule, "The task opens a secure aggregation session, which the accepted job does not use.");
        }

        SecAggSessionOptions session = task.Session.Session;
        if (!string.Equals(session.JobId, _job.Engine.JobName, StringComparison.Ordinal) || session.RoundNumber != task.Round.Value)
        {
            return Refuse(task, SessionRule, $"The secure session is for job '{session.JobId}' round {session.RoundNumber}; the task is job '{_job.Engine.JobName}' round {task.Round.Value}.");
        }

        if (session.ParticipantCount < _job.Engine.MinimumParticipants)
        {
            return Refuse(task, ParticipantsRule, $"The secure session lists {session.ParticipantCount} participants; the accepted job promises at least {_job.Engine.MinimumParticipants}.");
        }

        return float.IsFinite(task.StalenessScale) && task.StalenessScale > 0 && task.StalenessScale <= 1
            ? null
            : Refuse(task, SessionRule, $"The flush scales the update by {task.StalenessScale}; a staleness weight is in (0, 1].");
    }

    private Refused? CheckProtections(TrainTask task)
    {
        if (ModelProblem(task) is { } model)
        {
            return Refuse(task, ModelRule, model);
        }

        if (TrainingProblem(task) is { } training)
        {
            return Refuse(task, TrainingRule, training);
        }

        bool secureRequired = _job.Engine.SecureAggregation is not null || _policy?.Protections.SecureAggregationRequired == true;
        if (task.HoldForSecureAggregation && (_job.Engine.SecureAggregation is null || task.SecureSession is not null || task.ClientDp is not null))
        {
            return Refuse(task, SecureAggregationRule, "The task asks the site to hold its update for a later secure aggregation session, which only a job with secure aggregation and without client-level DP does, and only without a session of its own.");
        }

        if (task.SecureSession is null && secureRequired && !task.HoldForSecureAggregation)
        {
            return Refuse(task, SecureAggregationRule, "The task has no secure aggregation session, which the accepted job or the site policy requires.");
        }

        if (task.SecureSession is { } secure)
        {
            if (_job.Engine.SecureAggregation is null)
            {
                return Refuse(task, SecureAggregationRule, "The task opens a secure aggregation session, which the accepted job does not use.");
            }

            if (!string.Equals(secure.Session.JobId, _job.Engine.JobName, StringComparison.Ordinal) || secure.Session.RoundNumber != task.Round.Value)
            {
                return Refuse(task, SessionRule, $"The secure session is for job '{secure.Session.JobId}' round {secure.Session.RoundNumber}; the task is job '{_job.Engine.JobName}' round {task.Round.Value}.");
            }

            if (secure.Session.Participants.Count != task.Participants)
            {
                return Refuse(task, SessionRule, $"The secure session lists {secure.Session.Participants.Count} participants; the task claims {task.Participants}.");
            }
        }

        if (DpProblem(task) is { } dp)
        {
            return Refuse(task, DpRule, dp);
        }

        if (ClipProblem(task) is { } clip)
        {
            return Refuse(task, ClipRule, clip);
        }

        // The policy's minimum is the policy guard's round check (rule min-sites), right after this guard.
        int minimum = _job.Engine.MinimumParticipants;
        return task.Participants < minimum
            ? Refuse(task, ParticipantsRule, $"The task claims {task.Participants} participants; the accepted job promises at least {minimum}.")
            : null;
    }

    private string? DpProblem(TrainTask task)
    {
        if (!Equals(task.Dp, _job.Engine.Dp))
        {
            return task.Dp is null
                ? "The task has no DP-SGD settings; the accepted job uses DP-SGD."
                : _job.Engine.Dp is null
                    ? "The task carries DP-SGD settings the accepted job does not have."
                    : "The task's DP-SGD settings differ from the accepted job's.";
        }

        if (_job.ClientDp is not { } clientDp)
        {
            return task.ClientDp is null ? null : "The task carries client-level DP settings the accepted job does not have.";
        }

        if (task.ClientDp is not { } round)
        {
            return "The task has no client-level DP settings; the accepted job uses client-level DP.";
        }

        bool adaptive = clientDp.Options.Adaptive is not null;
        return string.Equals(round.JobId, clientDp.JobId, StringComparison.Ordinal) && round.Delta == clientDp.Options.Delta && round.ReportUnclippedBit == adaptive
            ? null
            : "The task's client-level DP settings (job, δ or adaptive clipping) differ from the accepted job's.";
    }

    /// <summary>
    /// The model a task sends must be the accepted job's (kind and shape, hence its parameter count on this site's
    /// data): a site trains only the model it agreed to train.
    /// </summary>
    private string? ModelProblem(TrainTask task) =>
        _parameterCount is { } expected && task.GlobalParameters.Length != expected
            ? string.Create(CultureInfo.InvariantCulture, $"The task's model has {task.GlobalParameters.Length} parameters; the accepted job's model ({_job.ModelKind}) has {expected} on this site's data.")
            : null;

    /// <summary>
    /// The task's local training settings must be the accepted job's: the same batch size, optimizer (kind, learning rate,
    /// momentum and the rest) and proximal term, and no more local work (steps, or epochs when the job counts epochs).
    /// A coordinator that could raise the work or the learning rate would make each released update fit the site's data
    /// harder than the job the site accepted; less work only learns less, so a smaller step count (a deadline, a
    /// straggler's share) is allowed. The batch size is compared because DP-SGD's sampling rate and the accounting
    /// depend on it.
    /// </summary>
    private string? TrainingProblem(TrainTask task)
    {
        LocalTrainingOptions asked = task.Training;
        LocalTrainingOptions accepted = _job.Training;
        if (asked.BatchSize != accepted.BatchSize)
        {
            return string.Create(CultureInfo.InvariantCulture, $"The task's batch size is {asked.BatchSize}; the accepted job's is {accepted.BatchSize}.");
        }

        if (asked.Optimizer != accepted.Optimizer)
        {
            return $"The task's optimizer is {Describe(asked.Optimizer)}; the accepted job's is {Describe(accepted.Optimizer)}.";
        }

        if (asked.ProximalMu != accepted.ProximalMu)
        {
            return string.Create(CultureInfo.InvariantCulture, $"The task's proximal coefficient is {asked.ProximalMu:G6}; the accepted job's is {accepted.ProximalMu:G6}.");
        }

        if (asked.FairnessQ != accepted.FairnessQ)
        {
            // q-FFL's exponent decides how hard this site's update pulls: only the accepted job's q is applied.
            return string.Create(CultureInfo.InvariantCulture, $"The task's q-FFL exponent is {asked.FairnessQ?.ToString("G6", CultureInfo.InvariantCulture) ?? "none"}; the accepted job's is {accepted.FairnessQ?.ToString("G6", CultureInfo.InvariantCulture) ?? "none"}.");
        }

        string work = asked.LocalSteps is { } askedSteps
            ? string.Create(CultureInfo.InvariantCulture, $"{askedSteps} local steps")
            : string.Create(CultureInfo.InvariantCulture, $"{asked.LocalEpochs} local epochs");
        return (accepted.LocalSteps, asked.LocalSteps) switch
        {
            ({ } steps, { } taskSteps) when taskSteps <= steps => null,
            ({ } steps, _) => string.Create(CultureInfo.InvariantCulture, $"The task asks for {work}; the accepted job allows at most {steps} local steps."),
            (null, null) when asked.LocalEpochs <= accepted.LocalEpochs => null,
            (null, _) => string.Create(CultureInfo.InvariantCulture, $"The task asks for {work}; the accepted job trains {accepted.LocalEpochs} local epochs."),
        };
    }

    private static string Describe(OptimizerOptions o) => string.Create(
        CultureInfo.InvariantCulture,
        $"{o.Kind} (learning rate {o.LearningRate:G6}, momentum {o.Momentum:G6}, β1 {o.Beta1:G6}, β2 {o.Beta2:G6}, ε {o.Epsilon:G6})");

    /// <summary>
    /// The clip bound C of the round comes from the coordinator, but only the accepted job may set it: with a fixed bound
    /// the task's C must be the job's; with adaptive clipping it must lie within what the job's own update rule can
    /// reach by this round. Each round the bound moves by C ← C·exp(−η(b̃ − γ)) with the estimate b̃ clamped to [0, 1],
    /// so after r − 1 updates C lies in [C₀·e^(−η(1−γ)(r−1)), C₀·e^(ηγ(r−1))]. A coordinator can still steer C within
    /// that range (by lying about b̃); it cannot jump to any bound it likes.
    /// </summary>
    private string? ClipProblem(TrainTask task)
    {
        if (_job.ClientDp is not { } clientDp || task.ClientDp is not { } round)
        {
            return null; // presence and absence are the DP rule's
        }

        double start = clientDp.Options.ClipNorm;
        double clip = round.ClipNorm;
        if (!double.IsFinite(clip) || !(clip > 0))
        {
            return string.Create(CultureInfo.InvariantCulture, $"The task's clip bound {clip} is not a positive number.");
        }

        if (clientDp.Options.Adaptive is not { } adaptive)
        {
            return clip == start
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"The task's clip bound is {clip:G6}; the accepted job fixes it at {start:G6} (no adaptive clipping).");
        }

        int updates = Math.Max(0, task.Round.Value - 1);
        double low = start * Math.Exp(-adaptive.LearningRate * (1 - adaptive.TargetQuantile) * updates);
        double high = start * Math.Exp(adaptive.LearningRate * adaptive.TargetQuantile * updates);
        const double Slack = 1e-9; // rounding in the coordinator's repeated products
        return clip >= low * (1 - Slack) && clip <= high * (1 + Slack)
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"The task's clip bound {clip:G6} in round {task.Round.Value} is outside [{low:G6}, {high:G6}], what adaptive clipping from the accepted job's C₀ = {start:G6} (η = {adaptive.LearningRate:G4}, γ = {adaptive.TargetQuantile:G4}) can reach.");
    }

    private Refused Refuse(SiteTask task, string rule, string reason)
    {
        _audit.TaskRefused(task.Round, rule, reason, _policy);
        return new Refused(_site, task.Round, rule, reason);
    }

    private static string Short(string sha256) => sha256.Length == 0
        ? "(none)"
        : string.Create(CultureInfo.InvariantCulture, $"{sha256[..Math.Min(12, sha256.Length)]}…");
}
