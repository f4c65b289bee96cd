using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Cli.Output;
using Consortia.Data;
using Consortia.Federation.Benchmarking;
using Consortia.Federation.Jobs;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia bench poisoning [--sites 10] [--malicious 2] [--attack sign-flip] [--factor 10] [--json]</c>: FLamby's Heart
/// re-split into IID virtual sites, some malicious; FedAvg clean, FedAvg attacked, and each defence attacked.
/// </summary>
internal static class BenchPoisoningCommand
{
    public static Command Create()
    {
        Option<DirectoryInfo> data = new("--data") { Description = "The folder holding fed-heart-disease/.", DefaultValueFactory = _ => new DirectoryInfo("data") };
        Option<int> sites = new("--sites") { Description = "IID virtual sites.", DefaultValueFactory = _ => 10 };
        Option<int> malicious = new("--malicious") { Description = "How many of them attack (site-0, site-1, …).", DefaultValueFactory = _ => 2 };
        Option<string> attack = new("--attack") { Description = "sign-flip, scale or label-flip.", DefaultValueFactory = _ => "sign-flip" };
        attack.AcceptOnlyFromAmong("sign-flip", "scale", "label-flip");
        Option<double> factor = new("--factor") { Description = "The attack's multiplier (sign-flip, scale).", DefaultValueFactory = _ => 10 };
        Option<ulong> seed = new("--seed") { Description = "Seed of the split, the model and the training.", DefaultValueFactory = _ => 42UL };
        Option<bool> json = new("--json") { Description = "Prints one JSON document instead of the table." };
        Command command = new("poisoning", "The poisoning drill: Heart split into virtual sites, some malicious; FedAvg clean and attacked, and attacked under norm bounding and the robust rules.")
        {
            data, sites, malicious, attack, factor, seed, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            PoisoningSettings settings = new()
            {
                Sites = parse.GetValue(sites),
                MaliciousSites = parse.GetValue(malicious),
                Attack = parse.GetRequiredValue(attack) switch { "scale" => AttackKind.Scale, "label-flip" => AttackKind.LabelFlip, _ => AttackKind.SignFlip },
                Factor = parse.GetValue(factor),
                Seed = parse.GetValue(seed),
            };
            TextWriter stdout = parse.InvocationConfiguration.Output;
            TextWriter stderr = parse.InvocationConfiguration.Error;
            FederatedDataset split;
            try
            {
                settings.Validate();
                DirectoryInfo root = parse.GetRequiredValue(data);
                FederatedDataset heart = FederatedDataLoader.Load(new DataSourceOptions { Format = DataFormat.FlambyHeartDisease, Path = Path.Combine(root.FullName, "fed-heart-disease") }, root.FullName);
                split = PoisoningBenchmark.Split(heart, settings);
            }
            catch (Exception error) when (error is ArgumentException or DataConfigurationException or DataValidationException or IOException)
            {
                await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
                return 2;
            }

            IReadOnlyList<PoisoningRow> rows = await PoisoningBenchmark.RunAsync(split, settings, cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync(parse.GetValue(json) ? ToJson(settings, rows) : ToTable(settings, rows)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static string ToJson(PoisoningSettings settings, IReadOnlyList<PoisoningRow> rows)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("sites", settings.Sites);
            w.WriteNumber("malicious_sites", settings.MaliciousSites);
            w.WriteString("attack", settings.Attack switch { AttackKind.Scale => "scale", AttackKind.LabelFlip => "label-flip", _ => "sign-flip" });
            w.WriteNumber("factor", settings.Factor);
            w.WriteNumber("rounds", settings.Rounds);
            w.WriteNumber("seed", settings.Seed);
            w.WriteStartArray("rows");
            foreach (PoisoningRow row in rows)
            {
                w.WriteStartObject();
                w.WriteString("row", row.Name);
                w.WriteString("strategy", row.Strategy);
                w.WriteNumber("malicious_sites", row.MaliciousSites);
                Json.Number(w, "accuracy", row.Accuracy);
                Json.Number(w, "delta_from_clean", row.DeltaFromClean);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ToTable(PoisoningSettings settings, IReadOnlyList<PoisoningRow> rows)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder table = new();
        table.AppendLine(c, $"Poisoning drill: Heart in {settings.Sites} IID sites, {settings.MaliciousSites} malicious ({settings.Attack}, factor {settings.Factor}), {settings.Rounds} rounds, seed {settings.Seed}; test accuracy over all sites' test rows.");
        table.AppendLine();
        table.AppendLine("| row | malicious sites | accuracy | Δ from clean |");
        table.AppendLine("|---|---|---|---|");
        foreach (PoisoningRow row in rows)
        {
            table.AppendLine(c, $"| {row.Name} | {row.MaliciousSites} | {SimulationReport.Format(row.Accuracy)} | {row.DeltaFromClean.ToString("+0.0000;-0.0000", c)} |");
        }

        return table.ToString();
    }
}
