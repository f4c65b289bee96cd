using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Assurance.Fairness;
using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Simulation;
using Consortia.Governance.Policies;
using Consortia.Learning.Models;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia audit-model fairness JOB.yaml [--groups sex,age_band] [--json] [--compare]</c>: runs the job in
/// simulation, then audits the final model per group (each site sends only per-group counts, suppressed below its
/// policy's minimum cell count, through secure aggregation when the job uses it) and checks the result against the
/// same numbers computed on the pooled predictions. <c>--compare</c> also trains the job without its fairness
/// mitigation and prints both.
/// </summary>
internal static class AuditModelCommand
{
    public static Command Create()
    {
        Argument<FileInfo?> job = new("job") { Description = "The job file (YAML, with a fairness: section; see docs/job-file.md), audited in simulation. Omit with --job.", Arity = ArgumentArity.ZeroOrOne };
        Option<string?> run = new("--job") { Description = "Audits a deployed job instead: its id at the coordinator (`job submit` printed it); its sites compute the counts on their own data." };
        Option<string?> groups = new("--groups") { Description = "The attributes to audit, comma-separated (default: all under fairness.groups); the site is always audited." };
        Option<bool> json = new("--json") { Description = "Prints one JSON object: {\"groups\": [...], \"gaps\": {...}, \"pooled_check\": {...}} (with --compare: {\"before\": …, \"after\": …})." };
        Option<bool> compare = new("--compare") { Description = "Also trains the job without its mitigation (fairness.reweighting, strategy qffl → fedavg) and reports both audits." };
        Option<FileInfo?> output = new("--out") { Description = "With --job: also writes the report (JSON) to this file." };
        Option<string> url = new("--coordinator") { Description = "With --job: the coordinator's admin endpoint.", DefaultValueFactory = _ => "https://127.0.0.1:7445" };
        Option<DirectoryInfo?> home = new("--home") { Description = "With --job: the coordinator home (for ca.crt.pem and admin.token); default $CONSORTIA_HOME, else the current folder." };
        Command fairness = new("fairness", "Audits a job's model per patient group: accuracy, TPR, FPR, AUC, calibration and the gaps between groups (for a Cox model: C-index and its gap), from counts only.")
        {
            job, run, groups, json, compare, output, url, home,
        };
        fairness.SetAction((parse, cancellationToken) => parse.GetValue(run) is { } id
            ? parse.GetValue(job) is not null || parse.GetValue(compare)
                ? Usage(parse.InvocationConfiguration.Error, "--job audits a deployed job: give no job file and no --compare with it.")
                : DeploymentCommands.WithClient(parse, url, home, (client, stdout) => RunDeployedAsync(client, id, parse.GetValue(groups), parse.GetValue(json), parse.GetValue(output), stdout, cancellationToken))
            : parse.GetValue(job) is { } file
                ? RunAsync(file, parse.GetValue(groups), parse.GetValue(json), parse.GetValue(compare), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken)
                : Usage(parse.InvocationConfiguration.Error, "give a job file (simulation) or --job ID (a deployed job)."));
        return new Command("audit-model", "Audits a trained model: fairness across patient groups.") { fairness };
    }

    private static async Task<int> Usage(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync("error: " + message).ConfigureAwait(false);
        return 2;
    }

    /// <summary>
    /// The audit of a deployed job: the coordinator asks the job's sites for their per-group counts (secure aggregation
    /// when the job uses it) and reports on the sum; there is no pooled check, since no pooled data exist.
    /// </summary>
    private static async Task<int> RunDeployedAsync(Network.Coordinator.JobAdminClient client, string jobId, string? groups, bool json, FileInfo? output, TextWriter stdout, CancellationToken cancellationToken)
    {
        string[] names = string.IsNullOrWhiteSpace(groups) ? [] : groups.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        (string report, string sha) = await client.AuditFairnessAsync(jobId, names, cancellationToken).ConfigureAwait(false);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output.FullName, report, cancellationToken).ConfigureAwait(false);
        }

        await stdout.WriteAsync(json ? report : DeployedText(report, sha)).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The deployed report as a table (read back from its JSON: the coordinator's report is the record).</summary>
    internal static string DeployedText(string reportJson, string sha)
    {
        using JsonDocument document = JsonDocument.Parse(reportJson);
        JsonElement root = document.RootElement;
        StringBuilder text = new();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"job {root.GetProperty("job_id").GetString()} ({root.GetProperty("name").GetString()}), model of round {root.GetProperty("model_round").GetInt32()}, sites {string.Join(", ", root.GetProperty("sites").EnumerateArray().Select(s => s.GetString()))}{(root.GetProperty("secure_aggregation").GetBoolean() ? " (secure aggregation)" : "")}");
        string[] metrics = [.. root.GetProperty("groups").EnumerateArray().First().EnumerateObject().Where(p => p.Value.ValueKind is JsonValueKind.Number or JsonValueKind.Null && p.Name is not ("n" or "sites" or "positives" or "events" or "comparable_pairs")).Select(p => p.Name)];
        text.Append(c, $"{"attribute",-10} {"group",-14} {"n",5} ").AppendLine(string.Join(" ", metrics.Select(m => $"{m,12}")));
        foreach (JsonElement g in root.GetProperty("groups").EnumerateArray())
        {
            text.Append(c, $"{g.GetProperty("attribute").GetString(),-10} {g.GetProperty("group").GetString(),-14} {g.GetProperty("n").GetInt64(),5} ")
                .AppendLine(string.Join(" ", metrics.Select(m => g.GetProperty(m) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble().ToString("F3", c).PadLeft(12) : "n/a".PadLeft(12))));
        }

        text.AppendLine();
        foreach (JsonProperty attribute in root.GetProperty("gaps").EnumerateObject())
        {
            foreach (JsonProperty gap in attribute.Value.EnumerateObject())
            {
                JsonElement value = gap.Value.GetProperty("value");
                text.AppendLine(c, $"{attribute.Name,-10} {gap.Name,-20} {(value.ValueKind == JsonValueKind.Number ? value.GetDouble().ToString("F3", c) : "n/a")}");
            }
        }

        foreach (JsonElement problem in root.GetProperty("problems").EnumerateArray())
        {
            text.AppendLine(c, $"problem: {problem.GetString()}");
        }

        text.AppendLine(c, $"pooled check: {root.GetProperty("pooled_check").GetString()}");
        text.AppendLine(c, $"report sha256 {sha} (in the coordinator's ledger)");
        return text.ToString();
    }

    private static async Task<int> RunAsync(FileInfo file, string? groups, bool json, bool compare, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        try
        {
            JobDefinition job = JobFile.Load(file.FullName);
            if (job.Fairness is not { } settings)
            {
                await stderr.WriteLineAsync($"error: {file.Name}: the job declares no fairness: section (fairness.groups names the sensitive attributes; see docs/job-file.md).").ConfigureAwait(false);
                return 2;
            }

            IReadOnlyList<SensitiveVariable> attributes = Select(settings.Groups, groups);
            JobDefinition? plain = null;
            if (compare)
            {
                plain = WithoutMitigation(job);
                if (ReferenceEquals(plain, job))
                {
                    await stderr.WriteLineAsync($"error: --compare: {file.Name} declares no mitigation (fairness.reweighting or strategy.kind: qffl).").ConfigureAwait(false);
                    return 2;
                }
            }

            FederatedDataset data = FederatedSimulation.LoadData(job);
            if (data.Task == LearningTask.Survival)
            {
                SurvivalAuditResult survivalAfter = await AuditSurvivalAsync(job, data, attributes, cancellationToken).ConfigureAwait(false);
                SurvivalAuditResult? survivalBefore = plain is null ? null : await AuditSurvivalAsync(plain, data, attributes, cancellationToken).ConfigureAwait(false);
                await stdout.WriteAsync(json ? ToJson(survivalBefore, survivalAfter, WriteSurvivalAudit) : SurvivalText(survivalBefore, survivalAfter)).ConfigureAwait(false);
                return 0;
            }

            FairnessAuditResult after = await AuditAsync(job, data, attributes, cancellationToken).ConfigureAwait(false);
            FairnessAuditResult? before = plain is null ? null : await AuditAsync(plain, data, attributes, cancellationToken).ConfigureAwait(false);
            await stdout.WriteAsync(json ? ToJson(before, after, WriteAudit) : ToText(before, after)).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is JobFileException or DataConfigurationException or DataValidationException or IOException or ArgumentException or PolicyFileException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 2;
        }
    }

    private static IReadOnlyList<SensitiveVariable> Select(IReadOnlyList<SensitiveVariable> declared, string? names)
    {
        if (string.IsNullOrWhiteSpace(names))
        {
            return declared;
        }

        return [.. names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(n =>
            declared.FirstOrDefault(d => d.Name == n)
            ?? throw new ArgumentException($"--groups: '{n}' is not declared under fairness.groups (declared: {string.Join(", ", declared.Select(d => d.Name))})."))]; // no parameter name: the message is the CLI's error line
    }

    /// <summary>The job as it would run without its fairness mitigation, or the same instance when it has none.</summary>
    internal static JobDefinition WithoutMitigation(JobDefinition job)
    {
        bool reweights = job.Fairness?.Reweighting is not null;
        bool qffl = job.Strategy.Kind == StrategyKind.QFfl;
        if (!reweights && !qffl)
        {
            return job;
        }

        return job with
        {
            Fairness = job.Fairness! with { Reweighting = null },
            Strategy = qffl ? job.Strategy with { Kind = StrategyKind.FedAvg } : job.Strategy,
            Training = job.Training with { FairnessQ = null }, // q-FFL's weighting is applied by the sites from the training options
        };
    }

    internal static async Task<FairnessAuditResult> AuditAsync(JobDefinition job, FederatedDataset data, IReadOnlyList<SensitiveVariable> attributes, CancellationToken cancellationToken)
    {
        (ModelSpec spec, float[] parameters) = await TrainAsync(job, data, cancellationToken).ConfigureAwait(false);
        return AuditTrained(job, data, attributes, spec, parameters);
    }

    /// <summary>Audits an already trained model of <paramref name="job"/> (as <c>simulate --out</c> does with its final model).</summary>
    internal static FairnessAuditResult AuditTrained(JobDefinition job, FederatedDataset data, IReadOnlyList<SensitiveVariable> attributes, ModelSpec spec, ReadOnlyMemory<float> parameters)
    {
        FairnessAudit audit = new(attributes, [.. data.Sites.Select(s => s.Name)], job.Fairness!.Threshold);
        return FederatedFairnessAudit.Run(audit, data.Sites, spec, parameters, site => MinimumCellCount(job, site), ChannelFor(job, data));
    }

    internal static async Task<SurvivalAuditResult> AuditSurvivalAsync(JobDefinition job, FederatedDataset data, IReadOnlyList<SensitiveVariable> attributes, CancellationToken cancellationToken)
    {
        (ModelSpec spec, float[] parameters) = await TrainAsync(job, data, cancellationToken).ConfigureAwait(false);
        return AuditTrainedSurvival(job, data, attributes, spec, parameters);
    }

    /// <summary>Audits an already trained Cox model of <paramref name="job"/>.</summary>
    internal static SurvivalAuditResult AuditTrainedSurvival(JobDefinition job, FederatedDataset data, IReadOnlyList<SensitiveVariable> attributes, ModelSpec spec, ReadOnlyMemory<float> parameters)
    {
        FairnessAudit audit = new(attributes, [.. data.Sites.Select(s => s.Name)]);
        return FederatedFairnessAudit.RunSurvival(audit, data.Sites, spec, parameters, site => MinimumCellCount(job, site), ChannelFor(job, data));
    }

    private static async Task<(ModelSpec Spec, float[] Parameters)> TrainAsync(JobDefinition job, FederatedDataset data, CancellationToken cancellationToken)
    {
        SimulationResult run = await FederatedSimulation.RunAsync(job, data, null, null, cancellationToken).ConfigureAwait(false);
        if (!run.Federated.Rounds.Any(r => r.Aggregated))
        {
            // Auditing the untrained initial model would report numbers about nothing the job learned.
            string reason = run.Federated.Rounds.Count > 0 ? run.Federated.Rounds[0].AggregationFailure ?? "not aggregated" : "no round ran";
            throw new ArgumentException($"job '{job.Name}' trained no round (round 1: {reason}); nothing to audit.");
        }

        return (run.Federated.FinalModel.Spec, run.Federated.FinalModel.Parameters.Values.ToArray());
    }

    private static IFairnessCountChannel ChannelFor(JobDefinition job, FederatedDataset data) =>
        job.Engine.SecureAggregation is { } secure && data.Sites.Count >= 3
            ? new SecureCountChannel(secure, job.Name + "/fairness-audit", job.Seed)
            : new PlainCountChannel();

    // A site releases a cell only when its policy allows aggregate metrics, and over at least its minimum cell count;
    // without a policy (or without aggregate metrics) it releases nothing.
    private static int MinimumCellCount(JobDefinition job, string site) =>
        FederatedSimulation.PolicyFor(job, site)?.Policy?.Outputs is { AggregateMetrics: true, MinCellCount: { } minimum } ? minimum : int.MaxValue;

    /// <summary>Sends each site's counts through a secure-aggregation round: the coordinator sees only the sum.</summary>
    internal sealed class SecureCountChannel(SecureAggregationSettings settings, string jobId, ulong seed) : IFairnessCountChannel
    {
        /// <summary>Each site's protocol input, as handed to secure aggregation (for tests).</summary>
        public Dictionary<string, uint[]> Inputs { get; } = new(StringComparer.Ordinal);

        public long[] Sum(IReadOnlyList<SiteFairnessCounts> sites) =>
            SecureCountSum.Sum(settings, jobId, [.. sites.Select(s => s.Site)], [.. sites.Select(s => (IReadOnlyList<long>)s.Counts)], seed, (site, input) => Inputs[site] = input.ToArray());
    }

    /// <summary>The JSON <c>audit-model fairness --json</c> prints for one audit (also <c>simulate --out</c>'s fairness.json).</summary>
    internal static string Json(FairnessAuditResult result) => ToJson(null, result, WriteAudit);

    /// <summary>The JSON of one survival audit.</summary>
    internal static string Json(SurvivalAuditResult result) => ToJson(null, result, WriteSurvivalAudit);

    private static string ToJson<T>(T? before, T after, Action<Utf8JsonWriter, T> write)
        where T : class
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            if (before is null)
            {
                write(w, after);
            }
            else
            {
                w.WriteStartObject();
                w.WritePropertyName("before");
                write(w, before);
                w.WritePropertyName("after");
                write(w, after);
                w.WriteEndObject();
            }
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }

    private static void WriteAudit(Utf8JsonWriter w, FairnessAuditResult result)
    {
        w.WriteStartObject();
        FairnessReportJson.WriteReport(w, result.Report);
        FairnessReportJson.WriteWithheld(w, result.Withheld);
        w.WriteStartObject("pooled_check");
        FairnessReportJson.Number(w, "max_abs_diff", result.Pooled.MaxAbsDiff);
        w.WriteNumber("compared", result.Pooled.Compared);
        FairnessReportJson.Number(w, "auc_resolution_max_abs_diff", result.Pooled.AucResolutionMaxAbsDiff);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteSurvivalAudit(Utf8JsonWriter w, SurvivalAuditResult result)
    {
        w.WriteStartObject();
        FairnessReportJson.WriteReport(w, result.Report);
        FairnessReportJson.WriteWithheld(w, result.Withheld);
        w.WriteStartObject("pooled_check");
        FairnessReportJson.Number(w, "max_abs_diff", result.Pooled.MaxAbsDiff);
        w.WriteNumber("compared", result.Pooled.Compared);
        FairnessReportJson.Number(w, "cross_site_max_abs_diff", result.Pooled.CrossSiteMaxAbsDiff);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string ToText(FairnessAuditResult? before, FairnessAuditResult after)
    {
        StringBuilder text = new();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"{"attribute",-10} {"group",-14} {"n",5} {"accuracy",9} {"tpr",7} {"fpr",7} {"auc",7} {"ece",7}");
        foreach (GroupFairness g in after.Report.Groups)
        {
            text.AppendLine(c, $"{g.Attribute,-10} {g.Group,-14} {g.N,5} {g.Accuracy.Value,9:F3} {g.Tpr.Value,7:F3} {g.Fpr.Value,7:F3} {g.Auc.Value,7:F3} {g.CalibrationError,7:F3}");
        }

        text.AppendLine();
        text.AppendLine(c, $"{"attribute",-10} {"gap",-20} {(before is null ? "" : "before (95% CI)"),-28} {"after (95% CI)"}");
        foreach (AttributeGaps attribute in after.Report.Gaps)
        {
            foreach (FairnessGap gap in attribute.Gaps)
            {
                string old = before is null ? "" : Format(before.Report.Gaps.Single(a => a.Attribute == attribute.Attribute)[gap.Metric].Gap);
                text.AppendLine(c, $"{attribute.Attribute,-10} {gap.Metric,-20} {old,-28} {Format(gap.Gap)}");
            }
        }

        text.AppendLine();
        text.AppendLine(c, $"pooled check: max |federated − pooled| = {after.Pooled.MaxAbsDiff:E2} over {after.Pooled.Compared} numbers (AUC at 1/1024 score resolution differs from the unrounded AUC by at most {after.Pooled.AucResolutionMaxAbsDiff:E2})");
        return text.ToString();
    }

    private static string SurvivalText(SurvivalAuditResult? before, SurvivalAuditResult after)
    {
        StringBuilder text = new();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"{"attribute",-10} {"group",-14} {"n",5} {"events",6} {"sites",5} {"pairs",7} {"c-index (95% CI)",-24}");
        foreach (SurvivalGroupFairness g in after.Report.Groups)
        {
            text.AppendLine(c, $"{g.Attribute,-10} {g.Group,-14} {g.N,5} {g.Events,6} {g.Sites,5} {g.ComparablePairs,7} {Format(g.CIndex),-24}");
        }

        text.AppendLine();
        text.AppendLine(c, $"{"attribute",-10} {"gap",-20} {(before is null ? "" : "before (95% CI)"),-28} {"after (95% CI)"}");
        foreach (AttributeGaps attribute in after.Report.Gaps)
        {
            FairnessGap gap = attribute["c_index"];
            string old = before is null ? "" : Format(before.Report.Gaps.Single(a => a.Attribute == attribute.Attribute)["c_index"].Gap);
            text.AppendLine(c, $"{attribute.Attribute,-10} {"c_index",-20} {old,-28} {Format(gap.Gap)}");
        }

        text.AppendLine();
        text.AppendLine(c, $"pooled check: max |federated − pooled| = {after.Pooled.MaxAbsDiff:E2} over {after.Pooled.Compared} numbers (C-index over within-site pairs; the all-pairs C-index of the same records differs by at most {after.Pooled.CrossSiteMaxAbsDiff:F4})");
        return text.ToString();
    }

    private static string Format(Interval i) =>
        double.IsNaN(i.Value) ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{i.Value:F3} [{i.Lower:F3}, {i.Upper:F3}]");
}
