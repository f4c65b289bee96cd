using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Federation.Benchmarking;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia bench scale --sites 1000 --rounds 50 --dim 10000 [--json]</c>: a FedAvg job over many virtual sites in this
/// process; prints wall time, rounds/s, site-updates/s and peak memory.
/// </summary>
internal static class BenchScaleCommand
{
    public static Command Create()
    {
        ScaleBenchSettings defaults = new();
        Option<int> sites = new("--sites") { Description = "Virtual sites.", DefaultValueFactory = _ => defaults.Sites };
        Option<int> rounds = new("--rounds") { Description = "FedAvg rounds (every site trains in every round).", DefaultValueFactory = _ => defaults.Rounds };
        Option<int> dim = new("--dim") { Description = "Features of the logistic model (parameters: dim + 1).", DefaultValueFactory = _ => defaults.Dimension };
        Option<bool> json = new("--json") { Description = "Prints one JSON object (fields in docs/benchmarks.md)." };
        Command command = new("scale", "Many virtual sites in one process: wall time, rounds/s, site-updates/s and peak memory of a FedAvg job.") { sites, rounds, dim, json };
        command.SetAction(async (parse, ct) =>
        {
            ScaleBenchSettings settings = new()
            {
                Sites = parse.GetValue(sites),
                Rounds = parse.GetValue(rounds),
                Dimension = parse.GetValue(dim),
            };
            try
            {
                settings.Validate();
            }
            catch (ArgumentException error)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
                return 2;
            }

            ScaleBenchResult result = await ScaleBench.RunAsync(settings, ct).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync(parse.GetValue(json) ? ToJson(result) : ToTable(result)).ConfigureAwait(false);
            return result.EveryRoundFull ? 0 : 1;
        });
        return command;
    }

    private static string ToJson(ScaleBenchResult r)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("sites", r.Settings.Sites);
            w.WriteNumber("rounds", r.Settings.Rounds);
            w.WriteNumber("dim", r.Settings.Dimension);
            w.WriteNumber("parallelism", Environment.ProcessorCount);
            w.WriteNumber("cores", Environment.ProcessorCount);
            w.WriteNumber("wall_seconds", Math.Round(r.WallSeconds, 3));
            w.WriteNumber("setup_seconds", Math.Round(r.SetupSeconds, 3));
            w.WriteNumber("rounds_per_s", Math.Round(r.RoundsPerSecond, 3));
            w.WriteNumber("site_updates_per_s", Math.Round(r.SiteUpdatesPerSecond, 1));
            w.WriteNumber("site_updates", r.SiteUpdates);
            w.WriteBoolean("every_round_full", r.EveryRoundFull);
            w.WriteNumber("peak_working_set_bytes", r.PeakWorkingSetBytes);
            w.WriteNumber("peak_managed_heap_bytes", r.PeakManagedHeapBytes);
            w.WriteNumber("idle_bytes_per_site", Math.Round(r.RetainedBytesPerSite));
            w.WriteNumber("final_accuracy", Math.Round(r.FinalAccuracy, 4));
            w.WriteNumber("load_average", LoadAverage() ?? double.NaN);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ToTable(ScaleBenchResult r)
    {
        StringBuilder text = new();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"{r.Settings.Sites} virtual sites × {r.Settings.Rounds} rounds, logistic model of {r.Settings.Dimension} features, parallelism {Environment.ProcessorCount} on {Environment.ProcessorCount} cores");
        text.AppendLine(c, $"wall time           {r.WallSeconds:F1} s (data set-up {r.SetupSeconds:F1} s before it)");
        text.AppendLine(c, $"rounds/s            {r.RoundsPerSecond:F2}");
        text.AppendLine(c, $"site-updates/s      {r.SiteUpdatesPerSecond:F0} ({r.SiteUpdates} updates, every round full: {r.EveryRoundFull})");
        text.AppendLine(c, $"peak memory         {r.PeakWorkingSetBytes / 1048576.0:F0} MiB resident, {r.PeakManagedHeapBytes / 1048576.0:F0} MiB managed heap");
        text.AppendLine(c, $"idle site           {r.RetainedBytesPerSite / 1024:F1} KiB per site");
        text.Append(c, $"final accuracy      {r.FinalAccuracy:F4}");
        return text.ToString();
    }

    private static double? LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
