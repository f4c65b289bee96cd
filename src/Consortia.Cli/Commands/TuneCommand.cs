using System.CommandLine;
using System.Globalization;
using System.Text;
using Consortia.Cli.Output;
using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Tuning;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia tune JOB.yaml --set KEY=V1,V2 … [--folds 5] [--seed N]</c>: ranks every combination of the
/// given values by federated k-fold cross-validation inside the sites' training parts (test parts unread).
/// </summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        Argument<FileInfo> job = new("job") { Description = "The base job file." };
        Option<string[]> set = new("--set") { Description = "A grid axis: a dotted job key and comma-separated values, e.g. training.optimizer.learning_rate=0.01,0.05 (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        Option<int> folds = new("--folds") { Description = "Cross-validation folds inside each site's training part.", DefaultValueFactory = _ => 5 };
        Option<ulong> seed = new("--seed") { Description = "Seed of the fold split and of training.", DefaultValueFactory = _ => 42 };
        Option<int> top = new("--top") { Description = "How many ranked candidates to print.", DefaultValueFactory = _ => 10 };
        Command command = new("tune", "Chooses hyper-parameters by federated cross-validation on the training parts only.") { job, set, folds, seed, top };
        command.SetAction((parse, ct) => RunAsync(parse.GetRequiredValue(job), parse.GetRequiredValue(set), parse.GetValue(folds), parse.GetValue(seed), parse.GetValue(top), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo jobFile, string[] axes, int folds, ulong seed, int top, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (folds < 2)
        {
            await stderr.WriteLineAsync($"error: --folds: expected at least 2, got {folds}.").ConfigureAwait(false);
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

        List<(IReadOnlyList<KeyValuePair<string, string>>, JobDefinition)> candidates = [];
        FederatedDataset data;
        try
        {
            string text = await File.ReadAllTextAsync(jobFile.FullName, cancellationToken).ConfigureAwait(false);
            foreach (KeyValuePair<string, string>[] combination in Combinations(grid))
            {
                candidates.Add((combination, JobFile.Parse(JobOverrides.Apply(text, combination), jobFile.FullName)));
            }

            JobDefinition first = candidates[0].Item2;
            data = FederatedDataLoader.Load(first.Data, jobFile.DirectoryName ?? ".");
        }
        catch (Exception error) when (error is JobFileException or DataConfigurationException or DataValidationException or IOException or ArgumentException)
        {
            await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            return 2;
        }

        IReadOnlyList<CrossValidationResult> ranked = await FederatedCrossValidation.RankAsync(data, candidates, folds, seed, cancellationToken).ConfigureAwait(false);
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder table = new();
        table.AppendLine(c, $"{candidates.Count} candidates, {folds}-fold cross-validation inside each site's training part (seed {seed}); test parts not read.");
        table.AppendLine();
        table.AppendLine("| rank | cv score | settings |");
        table.AppendLine("|---|---|---|");
        foreach ((CrossValidationResult result, int rank) in ranked.Take(top).Select((r, i) => (r, i + 1)))
        {
            table.AppendLine(c, $"| {rank} | {SimulationReport.Format(result.Score)} | {string.Join(", ", result.Settings.Select(s => $"{s.Key}={s.Value}"))} |");
        }

        await stdout.WriteLineAsync(table.ToString()).ConfigureAwait(false);
        return 0;
    }

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
