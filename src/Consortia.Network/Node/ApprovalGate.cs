using System.Diagnostics;
using System.Net.Http.Json;
using Consortia.Federation.Jobs;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Network.Configuration;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Node;

/// <summary>
/// Approval by a person at the site (policy <c>approval: manual</c>): a new job waits in <see cref="JobApprovals"/>
/// until the site officer decides it, and the node answers the coordinator <c>awaiting-approval</c> meanwhile.
/// The officer is told once, by the node configuration's <c>approval.notify_command</c> and/or
/// <c>approval.notify_webhook</c>. The decision is written to the site's audit ledger (a job-level policy
/// decision with the rule <c>approval</c>) the first time the node sees it.
/// </summary>
internal sealed partial class ApprovalGate(NodeConfig config, TimeProvider time, ILogger log, Func<AuditLedger> ledger)
{
    /// <summary>The readiness code while a job waits for the site officer.</summary>
    public const string AwaitingApproval = "awaiting-approval";

    /// <summary>The readiness code of a job the site officer rejected.</summary>
    public const string RejectedBySite = "rejected-by-site";

    private static readonly TimeSpan s_notifyTimeout = TimeSpan.FromSeconds(30);
    private readonly JobApprovals _book = new(config.State);
    private readonly Lock _gate = new();

    /// <summary>The notifications started (tests wait on them).</summary>
    internal List<Task> Notifications { get; } = [];

    /// <summary>Whether the job may go ahead: null when it may; otherwise the answer for the coordinator.</summary>
    /// <summary>Whether the job may go ahead under <paramref name="policyFile"/> (the policy of the job's consortium): null when it may; otherwise the answer for the coordinator.</summary>
    /// <exception cref="PolicyFileException">The policy file is invalid.</exception>
    public JobReadiness? Check(string run, JobDefinition job, string yaml, string? policyFile)
    {
        if (policyFile is not { } path || SitePolicyLoader.Load(path) is not { ManualApproval: true } policy)
        {
            return null;
        }

        if (!JobApprovals.IsValidRun(run))
        {
            return new JobReadiness(false, 0, "run-id-invalid", "the job's run id cannot be approved at this site (letters, digits, '.', '_', '-' only).");
        }

        string manifest = Sha256Hex.OfText(yaml);
        ApprovalRecord record;
        lock (_gate)
        {
            (record, bool created) = _book.Request(new ApprovalRecord(run, job.Name, job.Owner, job.Consortium, manifest, time.GetUtcNow(), ApprovalState.Pending));
            if (created)
            {
                LogWaiting(config.Site, run, job.Name, job.Owner);
                Notify(record);
            }

            if (record.State != ApprovalState.Pending && !record.Recorded)
            {
                bool approved = record.State == ApprovalState.Approved;
                string reason = $"run {run} {(approved ? "approved" : "rejected")} by {record.DecidedBy} at {record.DecidedAt:yyyy-MM-ddTHH:mm:ssZ}{(string.IsNullOrEmpty(record.Note) ? "" : ": " + record.Note)}";
                ledger().Append(new PolicyDecisionEvent(job.Name, null, approved, policy.Version, policy.Sha256, [new RuleResult(PolicyRuleApproval, approved, reason)]));
                _book.MarkRecorded(record);
                string decision = approved ? "approved" : "rejected";
                LogDecided(config.Site, run, decision, record.DecidedBy ?? "?");
            }
        }

        if (!string.Equals(record.ManifestSha256, manifest, StringComparison.Ordinal))
        {
            return new JobReadiness(false, 0, "manifest-changed", $"the job file of run {run} is not the one the site officer was asked about; refused.");
        }

        return record.State switch
        {
            ApprovalState.Approved => null,
            ApprovalState.Rejected => new JobReadiness(false, 0, RejectedBySite, $"the site officer of {config.Site} rejected job {run}{(string.IsNullOrEmpty(record.Note) ? "" : ": " + record.Note)}."),
            _ => new JobReadiness(false, 0, AwaitingApproval, $"job {run} waits for the approval of the site officer of {config.Site} (`consortia node approve {run}` at the site)."),
        };
    }

    /// <summary>The rule name of an officer's decision in the ledger.</summary>
    public const string PolicyRuleApproval = "approval";

    private void Notify(ApprovalRecord record)
    {
        if (config.Approval is not { } approval)
        {
            return;
        }

        if (approval.NotifyCommand is { Length: > 0 } command)
        {
            Notifications.Add(RunCommandAsync(command, record));
        }

        if (approval.NotifyWebhook is { Length: > 0 } webhook)
        {
            Notifications.Add(PostAsync(webhook, record));
        }
    }

    private async Task RunCommandAsync(string command, ApprovalRecord record)
    {
        ProcessStartInfo start = OperatingSystem.IsWindows() ? new("cmd.exe", ["/c", command]) : new("/bin/sh", ["-c", command]);
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach ((string name, string value) in Variables(record))
        {
            start.Environment[name] = value;
        }

        try
        {
            using Process process = Process.Start(start) ?? throw new InvalidOperationException("the process did not start");
            using CancellationTokenSource limit = new(s_notifyTimeout, time);
            Task<string> errors = process.StandardError.ReadToEndAsync(limit.Token);
            _ = await process.StandardOutput.ReadToEndAsync(limit.Token).ConfigureAwait(false);
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                LogNotifyFailed(config.Site, record.Run, "notify_command", $"exit code {process.ExitCode}: {(await errors.ConfigureAwait(false)).Trim()}");
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or OperationCanceledException or IOException)
        {
            LogNotifyFailed(config.Site, record.Run, "notify_command", e.Message);
        }
    }

    private async Task PostAsync(string webhook, ApprovalRecord record)
    {
        try
        {
            using HttpClient http = new() { Timeout = s_notifyTimeout };
            using HttpResponseMessage response = await http.PostAsJsonAsync(new Uri(webhook), Variables(record).ToDictionary(v => v.Name.Replace("CONSORTIA_", "", StringComparison.Ordinal).ToLowerInvariant(), v => v.Value)).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogNotifyFailed(config.Site, record.Run, "notify_webhook", $"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            LogNotifyFailed(config.Site, record.Run, "notify_webhook", e.Message);
        }
    }

    private (string Name, string Value)[] Variables(ApprovalRecord record) =>
    [
        ("CONSORTIA_SITE", config.Site),
        ("CONSORTIA_RUN", record.Run),
        ("CONSORTIA_JOB", record.Job),
        ("CONSORTIA_OWNER", record.Owner),
        ("CONSORTIA_CONSORTIUM", record.Consortium),
        ("CONSORTIA_MANIFEST_SHA256", record.ManifestSha256),
        ("CONSORTIA_APPROVE", $"consortia node approve {record.Run} --config <node.yaml>"),
    ];

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: job {Run} ({Job}, owner {Owner}) waits for the site officer's approval (`consortia node approve|reject {Run}`)")]
    private partial void LogWaiting(string site, string run, string job, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: job {Run} {Decision} by {Officer}; recorded in the ledger")]
    private partial void LogDecided(string site, string run, string decision, string officer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: could not notify the site officer of job {Run} ({Key}): {Reason}")]
    private partial void LogNotifyFailed(string site, string run, string key, string reason);
}
