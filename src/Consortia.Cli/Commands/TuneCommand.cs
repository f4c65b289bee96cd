using System.CommandLine;
using System.Globalization;
using System.Text;
using Consortia.Cli.Output;
using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Tuning;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia tune JOB.yaml --set KEY=V1,V2 … [--folds 5] [--repeats 1] [--seed N] [--write BEST.yaml]</c>:
/// ranks every combination of the given values by repeated federated k-fold cross-validation inside the sites'
/// training parts (test parts unread), and can write the best candidate as a job file whose header records
/// the command and the scores.
/// </summary>
internal static class TuneCommand
{
    private const string AcknowledgeOption = "--acknowledge-unaccounted-privacy";

    public static Command Create()
    {
        Argument<FileInfo> job = new("job") { Description = "The base job file." };
        Option<string[]> set = new("--set") { Description = "A grid axis: a dotted job key and comma-separated values, e.g. training.optimizer.learning_rate=0.01,0.05 (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        Option<int> folds = new("--folds") { Description = "Cross-validation folds inside each site's training part.", DefaultValueFactory = _ => 5 };
        Option<ulong> seed = new("--seed") { Description = "Seed of the fold split and of training.", DefaultValueFactory = _ => 42 };
        Option<int> repeats = new("--repeats") { Description = "How many times to repeat the k-fold split (repeat r uses seed + r); scores are averaged.", DefaultValueFactory = _ => 1 };
        Option<int> top = new("--top") { Description = "How many ranked candidates to print.", DefaultValueFactory = _ => 10 };
        Option<FileInfo> write = new("--write") { Description = "Writes the best candidate as a job file, its header recording this command and the cross-validation scores." };
        Option<bool> acknowledge = new(AcknowledgeOption) { Description = "Tunes a DP job although nothing is charged to the sites' privacy budgets: no private-selection bound covers the candidates' training (for data that is not protected, e.g. public or synthetic)." };
        Command command = new("tune", "Chooses hyper-parameters by federated cross-validation on the training parts only.") { job, set, folds, repeats, seed, top, write, acknowledge };
        command.SetAction((parse, ct) => RunAsync(
            new TuneRequest(parse.GetRequiredValue(job), parse.GetRequiredValue(set), parse.GetValue(folds), parse.GetValue(repeats), parse.GetValue(seed), parse.GetValue(top), parse.GetValue(write), parse.GetValue(acknowledge)),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return command;
    }

    private static async Task<int> RunAsync(TuneRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        (FileInfo jobFile, string[] axes, int folds, int repeats, ulong seed, int top, FileInfo? write, bool acknowledged) = request;
        if (folds < 2)
        {
            await stderr.WriteLineAsync($"error: --folds: expected at least 2, got {folds}.").ConfigureAwait(false);
            return 2;
        }

        if (repeats < 1)
        {
            await stderr.WriteLineAsync($"error: --repeats: expected at least 1, got {repeats}.").ConfigureAwait(false);
            return 2;
        }

        List<(string Key, string[] Values)> grid = [];
        foreach (string axis in axes)
        {
            int eq = axis.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == axis.Length - 1)
            {
                await stderr.WriteLineAsync($"error: --set: expected KEY=V1,V2,…, got '{axis}'.").ConfigureAwait(false);
                return 2;
            }

            grid.Add((axis[..eq], SplitValues(axis[(eq + 1)..])));
        }

        List<TuningCandidate> candidates = [];
        string text;
        IReadOnlyList<CrossValidationResult> ranked;
        try
        {
            text = await File.ReadAllTextAsync(jobFile.FullName, cancellationToken).ConfigureAwait(false);
            Dictionary<DataSourceOptions, FederatedDataset> loaded = [];
            foreach (KeyValuePair<string, string>[] combination in Combinations(grid))
            {
                JobDefinition candidate = JobFile.Parse(JobOverrides.Apply(text, combination), jobFile.FullName);
                if (!loaded.TryGetValue(candidate.Data, out FederatedDataset? data))
                {
                    data = FederatedDataLoader.Load(candidate.Data, jobFile.DirectoryName ?? ".");
                    loaded[candidate.Data] = data;
                }

                candidates.Add(new TuningCandidate(combination, candidate, data));
            }

            // Every candidate trains on the sites' data, and choosing the best one is itself a release: under DP that is
            // privacy spent outside any budget (no private-selection bound is implemented), so it needs an explicit yes.
            if (candidates.Any(c => c.Job.Engine.Dp is not null || c.Job.ClientDp is not null))
            {
                if (!acknowledged)
                {
                    await stderr.WriteLineAsync($"error: {jobFile.Name}: the job uses differential privacy, and tuning trains {candidates.Count * folds * repeats} models on the sites' data without charging their privacy budgets (rule dp-tune-unaccounted: no private-selection bound covers the choice); tune on data that needs no protection, or pass {AcknowledgeOption} to run it unaccounted.").ConfigureAwait(false);
                    return 2;
                }

                await stderr.WriteLineAsync($"warning: {AcknowledgeOption}: the cross-validation runs and the choice among {candidates.Count} candidates are not charged to any privacy budget.").ConfigureAwait(false);
            }

            ranked = await FederatedCrossValidation.RankAsync(candidates, folds, repeats, seed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is JobFileException or DataConfigurationException or DataValidationException or IOException or ArgumentException)
        {
            await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            return 2;
        }

        CultureInfo c = CultureInfo.InvariantCulture;
        string summary = string.Create(c, $"{candidates.Count} candidates, {folds}-fold cross-validation repeated {repeats}× inside each site's training part (seeds {seed}–{seed + (ulong)repeats - 1}); test parts not read.");
        StringBuilder table = new();
        table.AppendLine(summary);
        table.AppendLine();
        table.AppendLine("| rank | cv score | ± se | settings |");
        table.AppendLine("|---|---|---|---|");
        foreach ((CrossValidationResult result, int rank) in ranked.Take(top).Select((r, i) => (r, i + 1)))
        {
            table.AppendLine(c, $"| {rank} | {SimulationReport.Format(result.Score)} | {SimulationReport.Format(result.StandardError)} | {Settings(result)} |");
        }

        await stdout.WriteLineAsync(table.ToString()).ConfigureAwait(false);
        if (write is not null)
        {
            string job = JobOverrides.Apply(text, ranked[0].Settings);
            StringBuilder file = new();
            file.AppendLine("# Chosen by cross-validation on the sites' TRAINING parts only (test parts never read) with:");
            file.AppendLine("#");
            file.AppendLine(c, $"#   {Command(request)}");
            file.AppendLine("#");
            file.AppendLine(c, $"# {summary}");
            file.AppendLine("# Best candidates (cv score ± standard error over folds × repeats):");
            foreach ((CrossValidationResult result, int rank) in ranked.Take(top).Select((r, i) => (r, i + 1)))
            {
                file.AppendLine(c, $"#   {rank}. {SimulationReport.Format(result.Score)} ± {SimulationReport.Format(result.StandardError)}  {Settings(result)}");
            }

            file.AppendLine();
            file.Append(job);
            await File.WriteAllTextAsync(write.FullName, file.ToString(), cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync($"Wrote the best candidate to {write.FullName}.").ConfigureAwait(false);
        }

        return 0;
    }

    private static string Settings(CrossValidationResult result) => string.Join(", ", result.Settings.Select(s => $"{s.Key}={s.Value}"));

    /// <summary>The command line that reproduces the run (paths relative to the working directory).</summary>
    private static string Command(TuneRequest request)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder line = new("consortia tune ");
        line.Append(Path.GetRelativePath(Environment.CurrentDirectory, request.Job.FullName));
        foreach (string axis in request.Axes)
        {
            line.Append(c, $" --set {axis}");
        }

        line.Append(c, $" --folds {request.Folds} --repeats {request.Repeats} --seed {request.Seed}");
        return line.ToString();
    }

    private sealed record TuneRequest(FileInfo Job, string[] Axes, int Folds, int Repeats, ulong Seed, int Top, FileInfo? Write, bool AcknowledgeUnaccountedPrivacy);

    /// <summary>Splits on commas outside brackets, so that list values like [64,32] stay whole.</summary>
    private static string[] SplitValues(string text)
    {
        List<string> values = [];
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            depth += text[i] == '[' ? 1 : text[i] == ']' ? -1 : 0;
            if (text[i] == ',' && depth == 0)
            {
                values.Add(text[start..i].Trim());
                start = i + 1;
            }
        }

        values.Add(text[start..].Trim());
        return [.. values.Where(v => v.Length > 0)];
    }

    private static IEnumerable<KeyValuePair<string, string>[]> Combinations(List<(string Key, string[] Values)> grid)
    {
        IEnumerable<KeyValuePair<string, string>[]> result = [[]];
        foreach ((string key, string[] values) in grid)
        {
            result = result.SelectMany(prefix => values.Select(v => (KeyValuePair<string, string>[])[.. prefix, new(key, v)])).ToList();
        }

        return result;
    }
}
