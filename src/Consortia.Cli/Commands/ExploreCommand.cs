using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Consortia.Cli.Output.Exploration;
using Consortia.Data;
using Consortia.Federation.Exploration;
using Consortia.Federation.Jobs;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia explore JOB.yaml [--json] [--out DIR]</c>: federated statistics of a job's data before any training, computed
/// at the sites, released through secure aggregation when the job uses it, with each site's minimum cell count applied at the site.
/// </summary>
internal static class ExploreCommand
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static Command Create()
    {
        Argument<FileInfo> job = new("job") { Description = "The job file (YAML; see docs/job-file.md): its data, its sites' policies and whether it uses secure aggregation." };
        Option<bool> json = new("--json") { Description = "Prints the released figures and warnings as one JSON document." };
        Option<DirectoryInfo?> output = new("--out") { Description = "Writes explore.html (self-contained: tables and inline SVG histograms) and explore.json here." };
        Command command = new("explore", "Federated statistics before training: counts, missing values, means, deviations, quantiles, histograms and label balance per site and combined, with warnings.")
        {
            job, json, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output, stderr = parse.InvocationConfiguration.Error;
            FileInfo file = parse.GetRequiredValue(job);
            ExplorationReport report;
            try
            {
                report = FederatedExploration.Explore(JobFile.Load(file.FullName), new ExplorationOptions());
            }
            catch (Exception e) when (e is JobFileException or DataConfigurationException or ExplorationException or IOException)
            {
                await stderr.WriteLineAsync($"error: {file.Name}: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (DataValidationException e)
            {
                await stderr.WriteLineAsync($"error: the data does not match its contract:{Environment.NewLine}{e.Message}").ConfigureAwait(false);
                return 2;
            }

            string document = JsonSerializer.Serialize(report, s_json);
            if (parse.GetValue(output) is { } folder)
            {
                Directory.CreateDirectory(folder.FullName);
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, "explore.html"), ExplorationHtml.Render(report), ct).ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, "explore.json"), document, ct).ConfigureAwait(false);
            }

            if (parse.GetValue(json))
            {
                await stdout.WriteLineAsync(document).ConfigureAwait(false);
                return 0;
            }

            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{report.Job}: {report.Features.Count} features over {report.Sites.Count(s => s.Contributed)} of {report.Sites.Count} sites{(report.SecureAggregation ? " (combined through secure aggregation)" : "")}; {report.Warnings.Count} warnings.")).ConfigureAwait(false);
            foreach (ExplorationWarning warning in report.Warnings)
            {
                await stdout.WriteLineAsync($"warning: {warning.Message}").ConfigureAwait(false);
            }

            if (parse.GetValue(output) is { } written)
            {
                await stdout.WriteLineAsync($"report written to {Path.Combine(written.FullName, "explore.html")}").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }
}
