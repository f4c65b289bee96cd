using System.Globalization;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.RedTeam;

/// <summary>
/// The tasks a malicious coordinator crafts, and how the red team grades a site's answer to them: shared by the attacks
/// on in-process site agents and by those on real <c>consortia node</c> processes over gRPC.
/// </summary>
public static partial class CoordinatorRedTeam
{
    /// <summary>The names the coordinator's puppet sites go by.</summary>
    private static readonly string[] s_puppets = ["puppet-1", "puppet-2"];

    /// <summary>Protection downgrade: round 1 of a job that uses secure aggregation, sent without a secure session and claiming five participants.</summary>
    /// <param name="job">The job the victim accepted.</param>
    /// <param name="victim">The victim site.</param>
    /// <param name="model">The model to train from.</param>
    /// <returns>The task.</returns>
    public static TrainTask DowngradeTask(JobDefinition job, SiteId victim, ParameterVector model)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new TrainTask(victim, new RoundNumber(1), model, job.Training) { Participants = 5, JobSha256 = job.ContentSha256 };
    }

    /// <summary>Grades a site's answer to <see cref="DowngradeTask"/>: a trained update is the raw update the attacker wanted.</summary>
    /// <param name="name">The attack's name in the report.</param>
    /// <param name="reply">The site's answer.</param>
    /// <returns>The outcome.</returns>
    public static AttackOutcome GradeDowngrade(string name, SiteReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return reply switch
        {
            TrainingCompleted done => new AttackOutcome(name, false, Invariant($"site {reply.Site} returned its raw update ({done.Update.WeightedDelta.Length} values, ‖Δ‖ = {Norm(done.Update.WeightedDelta.Values):G4}) to a task without the secure session its policy requires")),
            Refused refused => new AttackOutcome(name, true, $"site {reply.Site} refused the task (rule {refused.Rule}): {refused.Reason}"),
            _ => new AttackOutcome(name, true, $"site {reply.Site} did not train: {Describe(reply)}"),
        };
    }

    /// <summary>Puppet sites: round 1 in a malicious-server session (t = 3) whose other participants are two puppets the coordinator made up.</summary>
    /// <param name="job">The job the victim accepted (it uses secure aggregation).</param>
    /// <param name="victim">The victim site.</param>
    /// <param name="model">The model to train from.</param>
    /// <returns>The task.</returns>
    public static TrainTask PuppetTask(JobDefinition job, SiteId victim, ParameterVector model)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(model);
        string[] participants = [.. s_puppets.Append(victim.Value).Order(StringComparer.Ordinal)];
        SecureTrainingSession secure = SecureSession(job, model.Length, participants, threshold: 3, victim.Value, SecAggSecurityMode.MaliciousServer);
        return new TrainTask(victim, new RoundNumber(1), model, job.Training, null, secure, job.Engine.Dp) { Participants = participants.Length, JobSha256 = job.ContentSha256 };
    }

    /// <summary>
    /// Grades a site's answer to <see cref="PuppetTask"/> when it is not <see cref="TrainingPrepared"/>: the site released
    /// nothing. (A prepared site goes on to the session, where the puppets' zero inputs unmask its update.)
    /// </summary>
    /// <param name="name">The attack's name in the report.</param>
    /// <param name="task">The task sent.</param>
    /// <param name="reply">The site's answer.</param>
    /// <returns>The outcome.</returns>
    public static AttackOutcome GradePuppetSession(string name, TrainTask task, SiteReply reply)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(reply);
        string participants = string.Join(", ", task.SecureSession?.Session.Participants ?? []);
        return reply is TrainingPrepared
            ? new AttackOutcome(name, false, $"site {reply.Site} trained for a secure session with participants {participants}, two of them puppets: their zero inputs would unmask its update")
            : new AttackOutcome(name, true, $"site {reply.Site} was put in a session with participants {participants}: {Describe(reply)}{Reason(reply)}; it released nothing");
    }

    /// <summary>A round-1 session as the coordinator would open it, with the attacker's threshold and mode.</summary>
    private static SecureTrainingSession SecureSession(JobDefinition job, int parameters, string[] participants, int threshold, string site, SecAggSecurityMode mode)
    {
        SecureAggregationSettings settings = job.Engine.SecureAggregation ?? throw new InvalidOperationException("The red team's job has no secure aggregation.");
        SecAggSessionOptions session = new()
        {
            JobId = job.Engine.JobName,
            RoundNumber = 1,
            Participants = participants,
            VectorLength = SecureUpdateLayout.Length(parameters, controlVariates: false),
            Threshold = threshold,
            SecurityMode = mode,
            MinimumAggregateSize = 3,
        };
        FixedPointOptions quantization = new() { ClipRange = settings.ClipRange, MaxSummands = participants.Length };
        return new SecureTrainingSession(session, quantization, Array.IndexOf(participants, site) + 1, ControlVariates: false);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
