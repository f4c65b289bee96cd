using System.CommandLine;
using Consortia.Cli.Output.Reports;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia report training --job ID [--store FILE | --home DIR] --out FILE</c>: the HTML training report of a job,
/// from the rounds its coordinator's store committed (run on the coordinator's host; jobs and rounds are only read, the store opened in WAL mode beside a live coordinator).
/// </summary>
internal static class TrainingReportCommand
{
    public static Command Create()
    {
        Option<string> job = new("--job") { Description = "The job id (printed by `job submit`; `job list` shows them).", Required = true };
        Option<FileInfo?> store = new("--store") { Description = "The coordinator's SQLite store; default HOME/coordinator.db (a simulation's: DIR/jobs.db)." };
        Option<DirectoryInfo?> home = new("--home") { Description = "The coordinator home; default $CONSORTIA_HOME, else the current folder." };
        Option<FileInfo> output = new("--out") { Description = "The HTML file to write (self-contained: inline plots, no network references).", Required = true };
        Option<FileInfo?> fairness = new("--fairness") { Description = "The JSON of `audit-model fairness --json` for this job's model: adds the per-group section and ROC/calibration plots drawn from its counts." };
        Command command = new("training", "Writes a job's training report (learning curves per site, final per-site metrics, protections in force) as one HTML file.") { job, store, home, output, fairness };
        command.SetAction(async (parse, ct) =>
        {
            TextWriter stderr = parse.InvocationConfiguration.Error;
            string folder = parse.GetValue(home)?.FullName ?? Environment.GetEnvironmentVariable("CONSORTIA_HOME") ?? Directory.GetCurrentDirectory();
            string path = parse.GetValue(store)?.FullName ?? Path.Combine(folder, "coordinator.db");
            string id = parse.GetRequiredValue(job);
            if (!File.Exists(path))
            {
                await stderr.WriteLineAsync($"error: {path}: no coordinator store there; pass --store FILE or --home DIR.").ConfigureAwait(false);
                return 2;
            }

            TrainingReport report;
            try
            {
                using SqliteJobStore jobs = SqliteJobStore.Open(new SqliteJobStoreOptions { Path = path }, TimeProvider.System);
                JobRecord record = jobs.FindJob(id) ?? throw new JobFileException($"{path}: no job with id '{id}' (`consortia job list` shows the ids).");
                JobDefinition definition = JobFile.Parse(record.YamlText, $"{path} (job {id})");
                RoundReport[] rounds = [.. jobs.GetRounds(id).Select(r => r.Report)];
                report = new TrainingReport
                {
                    Job = definition,
                    Origin = $"job {id}, {record.State.ToString().ToLowerInvariant()}, {record.RoundsCompleted} of {record.TotalRounds} rounds committed in {Path.GetFileName(path)}",
                    Simulated = false,
                    Rounds = rounds,
                    Model = definition.ModelKind.ToString(),
                    Final = rounds.LastOrDefault(r => r.Evaluation is not null)?.Evaluation,
                    Privacy = SitePrivacyReport.LatestOf(rounds), // each site's own figures, as it reported them with its last update
                    Fairness = parse.GetValue(fairness) is { } audit ? FairnessJson.ReadFile(audit.FullName) : null,
                };
            }
            catch (Exception e) when (e is JobFileException or JobStoreException or InvalidDataException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            FileInfo file = parse.GetRequiredValue(output);
            await File.WriteAllTextAsync(file.FullName, TrainingReportHtml.Render(report), ct).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"training report of job {id} ({report.Rounds.Count} rounds) written to {file.FullName}").ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
