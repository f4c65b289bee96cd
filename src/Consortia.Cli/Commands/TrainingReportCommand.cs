using System.CommandLine;
using System.Data.Common;
using Consortia.Cli.Output.Reports;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Network.Configuration;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia report training --job ID [--store FILE | --config coordinator.yaml | --home DIR] --out FILE</c>: the HTML
/// training report of a job, from the rounds its coordinator's store committed, SQLite or PostgreSQL as the coordinator's
/// configuration selects (<see cref="CoordinatorStoreReader"/>); jobs and rounds are only read, beside a live coordinator.
/// </summary>
internal static class TrainingReportCommand
{
    public static Command Create()
    {
        Option<string> job = new("--job") { Description = "The job id (printed by `job submit`; `job list` shows them).", Required = true };
        Option<FileInfo?> store = new("--store") { Description = "A SQLite job store file (a simulation's: DIR/jobs.db)." };
        Option<FileInfo?> config = new("--config") { Description = "The coordinator's configuration (the coordinator.yaml given to `consortia coordinator --config`): reads the store its store: section selects, SQLite in its home or PostgreSQL." };
        Option<DirectoryInfo?> home = new("--home") { Description = "The coordinator home: its coordinator.yaml when it holds one, else its coordinator.db; default $CONSORTIA_HOME, else the current folder." };
        Option<FileInfo> output = new("--out") { Description = "The HTML file to write (self-contained: inline plots, no network references).", Required = true };
        Option<FileInfo?> fairness = new("--fairness") { Description = "The JSON of `audit-model fairness --json` for this job's model: adds the per-group section and ROC/calibration plots drawn from its counts." };
        Command command = new("training", "Writes a job's training report (learning curves per site, final per-site metrics, protections in force) as one HTML file.") { job, store, config, home, output, fairness };
        command.SetAction(async (parse, ct) =>
        {
            TextWriter stderr = parse.InvocationConfiguration.Error;
            string id = parse.GetRequiredValue(job);
            TrainingReport report;
            try
            {
                using OpenedCoordinatorStore opened = CoordinatorStoreReader.Open(parse.GetValue(store), parse.GetValue(config), parse.GetValue(home), TimeProvider.System);
                report = Read(opened, id, parse.GetValue(fairness));
            }
            catch (Exception e) when (e is JobFileException or JobStoreException or InvalidDataException or ConfigurationException)
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

    /// <summary>The report of job <paramref name="id"/> from the rounds the store committed.</summary>
    private static TrainingReport Read(OpenedCoordinatorStore opened, string id, FileInfo? fairness)
    {
        JobRecord record;
        RoundReport[] rounds;
        try
        {
            record = opened.Jobs.FindJob(id) ?? throw new JobFileException($"{opened.Where}: no job with id '{id}' (`consortia job list` shows the ids).");
            rounds = [.. opened.Jobs.GetRounds(id).Select(r => r.Report)];
        }
        catch (DbException e)
        {
            // The database went away between opening and reading (PostgreSQL restarted, network cut).
            throw new JobStoreException($"{opened.Where}: reading job {id} failed: {e.Message}", e);
        }

        JobDefinition definition = JobFile.Parse(record.YamlText, $"{opened.Where} (job {id})");
        return new TrainingReport
        {
            Job = definition,
            Origin = $"job {id}, {record.State.ToString().ToLowerInvariant()}, {record.RoundsCompleted} of {record.TotalRounds} rounds committed in {opened.Name}",
            Simulated = false,
            Rounds = rounds,
            Model = definition.ModelKind.ToString(),
            Final = rounds.LastOrDefault(r => r.Evaluation is not null)?.Evaluation,
            Privacy = SitePrivacyReport.LatestOf(rounds), // each site's own figures, as it reported them with its last update
            Fairness = fairness is { } audit ? FairnessJson.ReadFile(audit.FullName) : null,
        };
    }
}
