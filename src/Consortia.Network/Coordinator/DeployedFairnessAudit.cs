using System.Text;
using System.Text.Json;
using Consortia.Assurance.Fairness;
using Consortia.Data.Contracts;
using Consortia.Federation;
using Consortia.Federation.Fairness;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Learning.Models;
using Consortia.SecureAggregation.Protocol;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>Why a deployed fairness audit cannot run (the job, its model or its sites), in words for the operator.</summary>
/// <param name="message">What is wrong.</param>
/// <param name="notFound">Whether the job does not exist.</param>
internal sealed class FairnessAuditException(string message, bool notFound = false) : Exception(message)
{
    /// <summary>Whether the job does not exist.</summary>
    public bool NotFound { get; } = notFound;
}

/// <summary>
/// The coordinator's fairness audit of a deployed job (running or ended): sends the job's participating sites a
/// <see cref="FairnessAuditTask"/> for its newest model over the sites' work streams (an unannounced session: nodes
/// prepare nothing), sums their per-group count vectors — through a SecAgg+ session when the job uses secure
/// aggregation, so that the coordinator sees only the sum — and computes the report with the same code as the
/// simulated audit. The report's hash goes into the consortium's ledger.
/// </summary>
internal sealed partial class DeployedFairnessAudit(CoordinatorServices services, ILogger log)
{
    /// <summary>The secure-aggregation session id of the audit of <paramref name="run"/> (sites require it: the masks are bound to this use).</summary>
    /// <param name="run">The audited job run.</param>
    /// <returns>The session's job id.</returns>
    public static string SessionJobId(string run) => "fairness-audit/" + run;

    /// <summary>Why the report has no pooled check.</summary>
    public const string PooledCheckNote = "a deployed audit has no pooled data to compare with (the records never leave the sites); run `consortia audit-model fairness JOB.yaml` in simulation for the pooled check";

    /// <summary>Runs the audit.</summary>
    /// <param name="jobId">The job run to audit.</param>
    /// <param name="groups">The attributes (names under its <c>fairness.groups</c>); empty: all.</param>
    /// <param name="cancellationToken">Cancels the audit.</param>
    /// <returns>The report (JSON) and its SHA-256 as recorded in the ledger.</returns>
    /// <exception cref="FairnessAuditException">The job, its model or its sites cannot be audited (the message says why).</exception>
    public async Task<(string Json, string Sha256)> RunAsync(string jobId, IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        JobRecord record = services.Jobs.FindJob(jobId) ?? throw new FairnessAuditException($"no job '{jobId}'.", notFound: true);
        JobDefinition job;
        try
        {
            job = JobFile.Parse(record.YamlText, Path.Combine(services.Config.Home, "jobs", record.Id + ".yaml"));
        }
        catch (JobFileException e)
        {
            throw new FairnessAuditException($"job {jobId}: its file no longer parses: {e.Message}");
        }

        if (job.Fairness is not { } fairness)
        {
            throw new FairnessAuditException($"job {jobId} ({job.Name}) declares no fairness: section; its sites compute counts only for the groups its file declares (see docs/job-file.md).");
        }

        IReadOnlyList<SensitiveVariable> attributes = Select(fairness.Groups, groups);
        Checkpoint checkpoint = services.Jobs.LoadLatestCheckpoint(jobId) is { ModelRound.Value: > 0 } c
            ? c
            : throw new FairnessAuditException($"job {jobId} ({record.State.ToString().ToLowerInvariant()}) has no trained model yet.");
        SiteId[] sites = [.. services.Jobs.GetRounds(jobId).SelectMany(r => r.Report.Contributors).Distinct().OrderBy(s => s.Value, StringComparer.Ordinal)];
        HostedConsortium consortium = services.Consortia.For(job, out string? unknown) ?? throw new FairnessAuditException($"job {jobId}: {unknown}");
        SecureAggregationSettings? secure = job.Engine.SecureAggregation;
        if (sites.Length == 0 || (secure is not null && sites.Length < 3))
        {
            throw new FairnessAuditException($"job {jobId} has {sites.Length} contributing site(s); an audit needs {(secure is null ? "one" : "three (secure aggregation reveals no smaller sum)")}.");
        }

        bool survival = job.ModelKind == ModelKind.CoxPh;
        FairnessAudit audit = new(attributes, [.. sites.Select(s => s.Value)], fairness.Threshold);
        int length = survival ? SurvivalFairnessCounts.Length(audit) : audit.Layout.Length;
        SecAggSessionOptions? session = secure is null ? null : CountSessionOptions.For(SessionJobId(jobId), checkpoint.ModelRound.Value, sites, length, secure, job.Engine.MinimumParticipants);
        FairnessAuditTask[] tasks = [.. sites.Select((site, i) => new FairnessAuditTask(
            site, checkpoint.ModelRound, jobId, record.YamlText, checkpoint.Parameters, [.. attributes.Select(a => a.Name)], [.. audit.Sites], fairness.Threshold)
        {
            SecureSession = session,
            Participant = i + 1,
            JobSha256 = job.ContentSha256,
        })];

        string names = string.Join(", ", attributes.Select(a => a.Name));
        LogStarted(jobId, sites.Length, names, session is not null);
        string sessionId = $"{jobId}/fairness-audit/{Guid.NewGuid():N}";
        CollectedCounts collected;
        using (Transport.GrpcSiteTransport.JobSession wire = services.Transport.BeginUnannounced(sessionId, sites))
        {
            wire.Consortium = job.Consortium;
            TimeSpan timeout = services.Config.RoundTimeoutSpan;
            collected = await FairnessCountCollector.CollectAsync(wire, tasks, session, length, consortium.Roster(log), timeout, secure?.StageTimeout ?? timeout, cancellationToken).ConfigureAwait(false);
        }

        if (collected.Sum is not { } sum)
        {
            string problems = string.Join("; ", Problems(collected));
            throw new FairnessAuditException($"job {jobId}: the audit obtained no counts: {collected.Failure}{(problems.Length > 0 ? " (" + problems + ")" : "")}");
        }

        string json = Json(record, job, checkpoint, collected, session is not null, w =>
        {
            if (survival)
            {
                FairnessReportJson.WriteReport(w, SurvivalFairnessReport.FromCounts(audit, sum));
            }
            else
            {
                FairnessReportJson.WriteReport(w, FairnessReport.FromCounts(audit, sum));
            }
        });
        string sha = Sha256Hex.OfText(json);
        consortium.Ledger.Append(new FairnessAuditEvent(job.Name, checkpoint.ModelSha256, [FairnessAudit.SiteAttribute, .. attributes.Select(a => a.Name)], FairnessRelease.Report, sha, collected.Contributors.Count, []) { RunId = jobId });
        LogReported(jobId, collected.Contributors.Count, sha);
        return (json, sha);
    }

    private static IReadOnlyList<SensitiveVariable> Select(IReadOnlyList<SensitiveVariable> declared, IReadOnlyList<string> names) =>
        names.Count == 0
            ? declared
            : [.. names.Select(n => declared.FirstOrDefault(d => d.Name == n)
                ?? throw new FairnessAuditException($"groups: '{n}' is not declared under the job's fairness.groups (declared: {string.Join(", ", declared.Select(d => d.Name))})."))];

    private static IEnumerable<string> Problems(CollectedCounts collected) =>
        collected.Refusals.Select(r => $"{r.Site} refused ({r.Rule}): {r.Reason}")
            .Concat(collected.Failures.Select(f => f switch
            {
                Failed failed => $"{f.Site} failed ({failed.Code}): {failed.Message}",
                Missed => $"{f.Site} did not answer",
                _ => $"{f.Site}: {f.GetType().Name}",
            }));

    /// <summary>The report: the simulated audit's <c>groups</c> and <c>gaps</c>, plus what was audited and who answered; no pooled check (see <see cref="PooledCheckNote"/>).</summary>
    private static string Json(JobRecord record, JobDefinition job, Checkpoint checkpoint, CollectedCounts collected, bool secure, Action<Utf8JsonWriter> report)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("job_id", record.Id);
            w.WriteString("name", job.Name);
            w.WriteNumber("model_round", checkpoint.ModelRound.Value);
            w.WriteString("model_sha256", checkpoint.ModelSha256);
            w.WriteBoolean("secure_aggregation", secure);
            w.WriteStartArray("sites");
            foreach (SiteId site in collected.Contributors)
            {
                w.WriteStringValue(site.Value);
            }

            w.WriteEndArray();
            report(w);
            w.WriteStartArray("problems");
            foreach (string problem in Problems(collected))
            {
                w.WriteStringValue(problem);
            }

            w.WriteEndArray();
            w.WriteString("pooled_check", "omitted: " + PooledCheckNote);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: fairness audit started at {Sites} site(s) by {Attributes} (secure aggregation: {Secure})")]
    private partial void LogStarted(string job, int sites, string attributes, bool secure);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: fairness audit reported over {Sites} site(s); report sha256 {Sha256} in the ledger")]
    private partial void LogReported(string job, int sites, string sha256);
}
