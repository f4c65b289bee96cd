using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites.Guards;
using Consortia.Federation.Sites.Local;
using Consortia.Federation.Sites.Pipeline;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;

namespace Consortia.Federation.Sites;

/// <summary>
/// The site side of federated learning: holds the site's local data, trains and evaluates on it, and
/// answers tasks with values. The same code runs in simulation and behind a network node; both build it
/// with <see cref="SiteBuilder"/>.
/// </summary>
/// <remarks>
/// Every task must name the job the site accepted (its hash). A training task passes the site's guards (the task
/// against the accepted job, the policy, one contribution per round, then the privacy budget) before anything is computed; the
/// trained update then passes the update pipeline (clip → weight → quantise → mask) on its way out.
/// One agent handles one task at a time (its trainer reuses buffers); the transports guarantee it.
/// Local data never leaves the agent: replies carry weighted parameter deltas and aggregate metrics only, and under DP
/// the site's own privacy accounting (<see cref="SitePrivacyReport"/>: ε, δ, σ, q, steps and its lifetime budget, no data values).
/// </remarks>
public sealed class SiteAgent : IDisposable
{
    private readonly TaskGuard? _job; // null only for the red team's unprotected sites
    private readonly IReadOnlyList<ISiteGuard> _guards;
    private readonly SiteTrainer _trainer;
    private readonly UpdatePipeline _pipeline;
    private readonly SiteEvaluator _evaluator;
    private readonly SitePrivacyAccount _privacy;
    private readonly SiteAudit _audit;
    private readonly SiteJobState? _state;
    private int _busy; // 1 while a task runs: the trainer's buffers serve one task at a time
    private SecAggClient? _secureClient; // this round's secure aggregation session, holding the site's update
    private RoundNumber _secureRound;
    private UpdateDraft? _held; // FedBuff under secure aggregation: the trained update, until its flush's session takes it

    internal SiteAgent(SiteId site, int trainingExamples, TaskGuard? job, IReadOnlyList<ISiteGuard> guards, SiteTrainer trainer, UpdatePipeline pipeline, SiteEvaluator evaluator, SitePrivacyAccount privacy, SiteAudit audit, SiteJobState? state)
    {
        Site = site;
        TrainingExamples = trainingExamples;
        _job = job;
        _guards = guards;
        _trainer = trainer;
        _pipeline = pipeline;
        _evaluator = evaluator;
        _privacy = privacy;
        _audit = audit;
        _state = state;
    }

    /// <summary>What DP-SGD (sample level) or DP-FedAvg (client level, as booked by this site) has cost this site in the current job, or <see langword="null"/> without DP.</summary>
    public SitePrivacyReport? Privacy => _privacy.Report;

    /// <summary>The site's name.</summary>
    public SiteId Site { get; }

    /// <summary>The number of local training examples (the site's aggregation weight).</summary>
    public int TrainingExamples { get; }

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

        if (ParameterProblem(task) is { } problem)
        {
            return new Failed(Site, task.Round, "invalid-parameters", problem);
        }

        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return new Failed(Site, task.Round, "site-busy", "The site is still working on another task.");
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield(); // run the CPU-bound work off the caller's synchronous path
            return task switch
            {
                TrainTask train => Restore(train) ?? Guard(train) ?? Train(train),
                SecAggTask secure => _job?.CheckJob(secure) ?? HandleSecAgg(secure),
                SecureFlushTask flush => _job?.CheckFlush(flush) ?? _guards.OfType<SecureSessionGuard>().Select(g => g.Check(flush)).FirstOrDefault(r => r is not null) ?? JoinSession(flush),
                EvaluateTask evaluate => _job?.CheckJob(evaluate) ?? _evaluator.Evaluate(evaluate),
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

    /// <summary>A restarted site first restores what it carried between rounds (SCAFFOLD's cᵢ, the privacy account).</summary>
    private Failed? Restore(TrainTask task)
    {
        try
        {
            _state?.RestoreOnce(task.Round, _trainer, _privacy);
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return new Failed(Site, task.Round, "site-state", "The site cannot read its saved state for this job; its operator must repair it.");
        }
    }

    /// <summary>The guards in order; the first refusal stops the task before any computation.</summary>
    private Refused? Guard(TrainTask task)
    {
        foreach (ISiteGuard guard in _guards)
        {
            if (guard.Check(task) is { } refusal)
            {
                return refusal;
            }
        }

        return null;
    }

    private SiteReply Train(TrainTask task)
    {
        UpdateDraft draft = _trainer.Train(task);
        _pipeline.Apply(draft);
        _state?.Save(task.Round, _trainer, _privacy);
        _audit.RoundTrained(task.Round, draft.ExamplesSeen);
        if (task.HoldForSecureAggregation)
        {
            // FedBuff under secure aggregation: the buffer's session is formed once it fills; the update waits here for it.
            _held = draft;
            return new TrainingPrepared(Site, task.Round, draft.Steps) { Privacy = _privacy.Report };
        }

        if (draft.Masked is { } masked)
        {
            // Secure aggregation: the session keeps the update; it leaves the site only masked, through SecAgg tasks.
            _secureClient?.Dispose();
            _secureClient = masked;
            _secureRound = task.Round;
            return new TrainingPrepared(Site, task.Round, draft.Steps) { Privacy = _privacy.Report };
        }

        SiteUpdate update = draft.ToUpdate(Site);
        _audit.PlainUpdateSent(task.Round, update.WeightedDelta.Values);
        return new TrainingCompleted(Site, task.Round, update) { Privacy = _privacy.Report };
    }

    /// <summary>FedBuff under secure aggregation: the held update, scaled by its staleness weight, is quantised and masked for the flush's session.</summary>
    private SiteReply JoinSession(SecureFlushTask flush)
    {
        if (_held is not { } draft || draft.Task.Round != flush.TrainedRound)
        {
            return new Failed(Site, flush.Round, "secagg-no-held-update", $"The site holds no update trained in round {flush.TrainedRound.Value}.");
        }

        _held = null; // one session per update: a second flush of it finds nothing
        draft.JoinSession(flush);
        _pipeline.ApplyFrom(UpdateStageKind.Quantise, draft);
        _secureClient?.Dispose();
        _secureClient = draft.Masked ?? throw new InvalidOperationException("The update pipeline did not mask the held update.");
        _secureRound = flush.Round;
        return new TrainingPrepared(Site, flush.Round, draft.Steps) { Privacy = _privacy.Report };
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

    private SecAggReplied Sent(SecAggTask task, SecAggClientMessage message)
    {
        if (message is MaskedInput masked)
        {
            _audit.MaskedUpdateSent(task.Round, masked.Vector.Span);
        }

        return new SecAggReplied(Site, task.Round, message);
    }

    private string? ParameterProblem(SiteTask task)
    {
        Learning.ParameterVector? parameters = task switch
        {
            TrainTask t => t.GlobalParameters,
            EvaluateTask e => e.Parameters,
            _ => null,
        };
        return parameters is not null && (!parameters.Layout.Equals(_trainer.Layout) || !parameters.IsFinite())
            ? $"The parameters do not fit this job's model ({_trainer.Layout.Length} finite values expected)."
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _secureClient?.Dispose();
        _secureClient = null;
    }
}
