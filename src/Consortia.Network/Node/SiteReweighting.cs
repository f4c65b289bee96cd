using System.Globalization;
using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.Federation;
using Consortia.Federation.Fairness;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;
using Consortia.Learning;
using Consortia.Network.Configuration;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Node;

/// <summary>
/// A deployed site's side of group reweighting (<c>fairness.reweighting</c>), with the coordinator treated as an
/// adversary. Before round 1 the site releases its (group, label) training counts (<see cref="ReweightingCountTask"/>)
/// only for a job run it accepted, only by the job's reweighting attribute whose column it declares sensitive, under its
/// policy: plainly with the cells below its minimum cell count cleared, or only masked in the counting's
/// secure-aggregation session. With the training tasks it receives the summed counts (never weights): it checks them
/// (<see cref="ReweightingSumCheck"/>, the first sum pinned for the whole run in its state folder), computes the weights
/// itself and resamples its own training records with its own randomness (<see cref="SiteRandomness.Resampling"/>).
/// </summary>
/// <remarks>Each release, pin, resampling and refusal is written to the site's ledger; each refusal names its rule and is logged.</remarks>
internal sealed partial class SiteReweighting(NodeConfig config, SiteId site, Func<AuditLedger> ledger, Func<ILedgerSigner> signingKey, ILogger log) : IDisposable
{
    /// <summary>Rule: the counting is of a run this site accepted (its ledger), of the job it accepted, which declares reweighting.</summary>
    public const string JobRule = "reweighting-job";

    /// <summary>Rule: the reweighting attribute's column is one this site declares sensitive (<c>data.sensitive</c>).</summary>
    public const string AttributeRule = "reweighting-attribute";

    /// <summary>Rule: the policy releases aggregate metrics and, for plain counts, sets a minimum cell count.</summary>
    public const string OutputsRule = "reweighting-outputs";

    /// <summary>Rule: a job (or policy) with secure aggregation releases its counts only masked, in the counting's session.</summary>
    public const string SecureRule = "reweighting-secure-aggregation";

    /// <summary>Recorded, passed, for each release of the counts and each resampling.</summary>
    public const string ReleaseRule = "reweighting-counts";

    private readonly CountSessions _sessions = new(ledger);

    /// <summary>Answers the counting task of a prepared job.</summary>
    public SiteReply Count(string jobId, PreparedJob prepared, ReweightingCountTask task)
    {
        SitePolicy? policy = prepared.Policy.Policy;
        if (Problem(jobId, prepared, task, policy) is { } problem)
        {
            return Refuse(jobId, prepared.Job, policy, task.Round, problem.Rule, problem.Reason);
        }

        (long[] held, long[] released, int cleared) = Counts(prepared, secure: task.SecureSession is not null);
        if (task.SecureSession is { } session)
        {
            SiteCountSession joined = new(site, task.Round, session, task.Participant, signingKey(), new RosterStore(prepared.Membership.StateFolder).Accepted()!, held);
            // A second counting of the run (a restarted coordinator counts again) replaces the first.
            _sessions.Join(jobId, joined, masked => Record(prepared, policy, task.Round, "masked", masked, 0));
            LogReleased(site.Value, jobId, "masked", 0);
            return new TrainingPrepared(site, task.Round, 0);
        }

        uint[] wire = [.. released.Select(c => (uint)c)]; // as it crosses the wire (uint32; counts are far below 2^32)
        ledger().Append(Record(prepared, policy, task.Round, "plainly", UpdateHash.Of(wire), cleared));
        LogReleased(site.Value, jobId, "plainly", cleared);
        return new FairnessCountsReleased(site, task.Round, [.. released]);
    }

    /// <summary>Answers a secure-aggregation message of the counting session, or <see langword="null"/> when none of this job is open.</summary>
    public SiteReply? HandleSecAgg(string jobId, SecAggTask task)
    {
        // Round 0 only: a training round's session is the agent's.
        return task.Round.Value == 0 ? _sessions.Handle(jobId, task) : null;
    }

    /// <summary>
    /// Checks a training task's summed counts; on the job's first valid sum in this process, resamples the site's training
    /// records by the weights it computes itself. Returns the refusal, or the resampled training data to build the agent
    /// with (<see langword="null"/> when the agent already trains on it, or the job does not reweight).
    /// </summary>
    public (Refused? Refusal, Dataset? Resampled) Train(string jobId, PreparedJob prepared, TrainTask task)
    {
        SitePolicy? policy = prepared.Policy.Policy;
        if (prepared.Job.Fairness?.Reweighting is null)
        {
            return task.ReweightingCounts is null
                ? (null, null)
                : (Refuse(jobId, prepared.Job, policy, task.Round, ReweightingSumCheck.SumRule, "the task carries reweighting counts, but the job this site accepted declares no fairness.reweighting"), null);
        }

        bool secure = prepared.Job.Engine.SecureAggregation is not null || policy?.Protections.SecureAggregationRequired == true;
        (long[] held, long[] released, _) = Counts(prepared, secure);
        string pinFile = PinFile(jobId, prepared.Job);
        (long[]? pinned, ulong[]? seed) = ReadPin(pinFile);
        if (ReweightingSumCheck.Problem(task.ReweightingCounts, released, held, pinned) is { } problem)
        {
            return (Refuse(jobId, prepared.Job, policy, task.Round, problem.Rule, problem.Reason), null);
        }

        if (prepared.Resampled)
        {
            return (null, null);
        }

        long[] sum = [.. task.ReweightingCounts!];
        if (pinned is null || (prepared.Randomness.IsPrivate && seed is null))
        {
            // The draw's seed is pinned with the sum, from the site's own generator: a restarted node draws the same
            // records again, so the run trains on one resampled set. Seeded randomness needs none (it is reproducible).
            seed = prepared.Randomness.IsPrivate ? FreshSeed() : null;
            WritePin(pinFile, sum, seed);
        }

        SensitiveVariable attribute = Attribute(prepared.Job);
        double[] weights = GroupReweighting.Weights(sum);
        RandomSource draw = seed is null ? prepared.Randomness.Resampling() : RandomSource.FromState(seed);
        SiteData resampled = GroupReweighting.Resample(attribute, prepared.Own, weights, draw);
        string reason = string.Create(CultureInfo.InvariantCulture,
            $"summed counts sha256 {UpdateHash.Of([.. sum.Select(c => (uint)c)])} {(pinned is null ? "pinned for the run" : "as pinned")}; resampled its {prepared.Own.Train.Count} training records to {resampled.Train.Count} by '{attribute.Name}' (weights {weights.Where((_, c) => held[c] > 0).Min():G4} to {weights.Where((_, c) => held[c] > 0).Max():G4}, {(prepared.Randomness.IsPrivate ? "the site's own cryptographic" : "seeded")} randomness; resampled records sha256 {UpdateHash.Of(resampled.Train.Features)})");
        ledger().Append(new PolicyDecisionEvent(prepared.Job.Name, task.Round.Value, true, policy?.Version, policy?.Sha256, [new RuleResult(ReleaseRule, true, reason)]) { RunId = jobId });
        LogResampled(site.Value, jobId, prepared.Own.Train.Count, resampled.Train.Count);
        return (null, resampled.Train);
    }

    /// <summary>Forgets the counting session of a job that has ended.</summary>
    public void End(string jobId) => _sessions.End(jobId);

    /// <inheritdoc />
    public void Dispose() => _sessions.Dispose();

    /// <summary>The first rule the counting task breaks, or <see langword="null"/>.</summary>
    private (string Rule, string Reason)? Problem(string jobId, PreparedJob prepared, ReweightingCountTask task, SitePolicy? policy)
    {
        JobDefinition job = prepared.Job;
        if (task.JobSha256 != job.ContentSha256)
        {
            return (JobRule, "the task names another job file than the one this site accepted for this run");
        }

        // The site's own ledger, not the coordinator's word: the run must be one this site accepted with this file.
        if (!ledger().ReadEntries().Select(e => e.Event).OfType<JobReceivedEvent>().Any(e => e.RunId == jobId && e.ManifestSha256 == prepared.ManifestSha256))
        {
            return (JobRule, $"this site's ledger holds no accepted job run '{jobId}' with this job file");
        }

        if (job.Fairness?.Reweighting is not { } name)
        {
            return (JobRule, "the job this site accepted declares no fairness.reweighting; the site counts its training records for nothing else");
        }

        SensitiveVariable attribute = Attribute(job);
        IReadOnlyList<string> sensitive = prepared.Membership.Data.Sensitive;
        if (!sensitive.Contains(attribute.Column, StringComparer.Ordinal))
        {
            return (AttributeRule, $"column '{attribute.Column}' (reweighting attribute '{name}') is not one this site declares sensitive (data.sensitive: {string.Join(", ", sensitive)})");
        }

        if (policy is null)
        {
            return (OutputsRule, "this site has no policy file; it releases nothing");
        }

        if (!policy.Outputs.AggregateMetrics)
        {
            return (OutputsRule, "the site policy does not allow aggregate metrics (outputs.aggregate_metrics)");
        }

        bool secureRequired = job.Engine.SecureAggregation is not null || policy.Protections.SecureAggregationRequired;
        if (task.SecureSession is not { } session)
        {
            if (secureRequired)
            {
                return (SecureRule, "the job (or this site's policy) uses secure aggregation, so its training counts leave the site only masked, in a secure-aggregation session");
            }

            return policy.Outputs.MinCellCount is null ? (OutputsRule, "the site policy sets no outputs.min_cell_count, so no count can be released plainly") : null;
        }

        if (session.JobId != ReweightingCountTask.SessionJobId(jobId) || session.RoundNumber != 0 || !session.Participants.Contains(site.Value, StringComparer.Ordinal))
        {
            return (SecureRule, "the session is not this run's reweighting count: its id must name the run, its round must be 0 and its participants must include this site");
        }

        ConsortiumRoster? roster = new RosterStore(prepared.Membership.StateFolder).Accepted();
        return SecureSessionRules.Problem(site, session, task.Participant, roster, canSign: true, policy);
    }

    /// <summary>The site's actual (group, label) training counts, what it releases of them (plain: cells below the minimum cell count cleared), and how many it cleared.</summary>
    private static (long[] Held, long[] Released, int Cleared) Counts(PreparedJob prepared, bool secure)
    {
        long[] held = GroupReweighting.CellCounts(Attribute(prepared.Job), prepared.Own);
        int minimum = prepared.Policy.Policy?.Outputs.MinCellCount ?? 0;
        if (secure || minimum <= 1)
        {
            return (held, held, 0);
        }

        long[] released = [.. held.Select(c => c < minimum ? 0 : c)];
        return (held, released, held.Zip(released).Count(p => p.First != p.Second));
    }

    private static SensitiveVariable Attribute(JobDefinition job) => job.Fairness!.Groups.Single(g => g.Name == job.Fairness.Reweighting);

    /// <summary>Where the run's first summed counts are pinned: survives a node restart, apart for each run and job file.</summary>
    private string PinFile(string jobId, JobDefinition job) =>
        Path.Combine(config.State, "rounds", Sha256Hex.OfText(jobId + "\n" + job.ContentSha256) + ".reweighting");

    /// <summary>The pinned sum (line 1) and, with private randomness, the resampling seed (line 2, 64 hex digits); nothing when not pinned yet.</summary>
    private static (long[]? Sum, ulong[]? Seed) ReadPin(string file)
    {
        if (!File.Exists(file))
        {
            return (null, null);
        }

        try
        {
            string[] lines = File.ReadAllText(file).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            long[] sum = [.. lines[0].Split(',').Select(v => long.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture))];
            if (lines.Length < 2)
            {
                return (sum, null); // pinned without a seed (seeded randomness, or a file from before seeds were pinned)
            }

            byte[] bytes = Convert.FromHexString(lines[1]);
            ulong[] seed = new ulong[4];
            if (bytes.Length != 32 || !System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes).TryCopyTo(seed) || seed.All(w => w == 0))
            {
                throw new FormatException("the resampling seed is not 64 hex digits, not all zero");
            }

            return (sum, seed);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{file}: the pinned reweighting counts are damaged; its operator must remove the file (the next sum is pinned again).", e);
        }
    }

    /// <summary>Writes the pin whole or not at all (a temporary file moved into place), readable by the node's user only.</summary>
    private static void WritePin(string file, long[] sum, ulong[]? seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string text = string.Join(",", sum.Select(c => c.ToString(CultureInfo.InvariantCulture)))
            + (seed is null ? "" : "\n" + Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(seed.AsSpan())));
        string temporary = file + ".tmp";
        FileStreamOptions options = new() { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (StreamWriter writer = new(temporary, System.Text.Encoding.UTF8, options))
        {
            writer.Write(text);
        }

        File.Move(temporary, file, overwrite: true);
    }

    private static ulong[] FreshSeed()
    {
        ulong[] seed = new ulong[4];
        do
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(seed.AsSpan()));
        }
        while (seed.All(w => w == 0));
        return seed;
    }

    private static PolicyDecisionEvent Record(PreparedJob prepared, SitePolicy? policy, RoundNumber round, string how, string sha256, int cleared) =>
        new(prepared.Job.Name, round.Value, true, policy?.Version, policy?.Sha256,
            [new RuleResult(ReleaseRule, true, $"released its (group, label) training counts by '{prepared.Job.Fairness!.Reweighting}' {how} (sha256 {sha256}; {cleared} cell(s) cleared below the minimum cell count)")])
        { RunId = prepared.RunId };

    private Refused Refuse(string jobId, JobDefinition job, SitePolicy? policy, RoundNumber round, string rule, string reason)
    {
        LogRefused(site.Value, jobId, rule, reason);
        ledger().Append(new PolicyDecisionEvent(job.Name, round.Value, false, policy?.Version, policy?.Sha256, [new RuleResult(rule, false, reason)]) { RunId = jobId });
        return new Refused(site, round, rule, reason);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: refused group reweighting of job run {Run} ({Rule}): {Reason}")]
    private partial void LogRefused(string site, string run, string rule, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: released its reweighting counts of job run {Run} {How} ({Cleared} cell(s) cleared below the minimum cell count)")]
    private partial void LogReleased(string site, string run, string how, int cleared);

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: resampled its {Before} training records to {After} for job run {Run}")]
    private partial void LogResampled(string site, string run, int before, int after);
}
