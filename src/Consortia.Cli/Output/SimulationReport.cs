using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Learning.Metrics;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning;

namespace Consortia.Cli.Output;

/// <summary>Renders a simulation result as JSON, Markdown and the model file.</summary>
internal static class SimulationReport
{
    public static string ToJson(SimulationResult result, IReadOnlyList<string>? warnings = null)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("job", result.Job.Name);
            w.WriteNumber("seed", result.Job.Seed);
            w.WriteString("randomness", "seeded"); // every site's draws derive from the seed: reproducible, not private
            w.WriteString("model", result.Spec.Kind.ToString().ToLowerInvariant());
            w.WriteString("strategy", JobFile.NameOf(result.Job.Strategy.Kind));
            w.WriteNumber("parameters", result.Spec.CreateLayout().Length);
            w.WriteNumber("elapsed_ms", result.Federated.Elapsed.TotalMilliseconds);
            w.WriteStartArray("rounds");
            foreach (RoundReport round in result.Federated.Rounds)
            {
                w.WriteStartObject();
                w.WriteNumber("round", round.Round.Value);
                w.WriteNumber("participants", round.Contributors.Count);
                w.WriteBoolean("aggregated", round.Aggregated);
                Json.Number(w, "train_loss", round.TrainLoss);
                w.WriteNumber("elapsed_ms", round.Elapsed.TotalMilliseconds);
                if (round.AggregationFailure is { } failure)
                {
                    w.WriteString("aggregation_failure", failure);
                }

                if (round.Evaluation is { } evaluation)
                {
                    WriteMetrics(w, "mean", evaluation.Mean);
                }

                if (round.Refusals.Count > 0 || round.Failures.Count > 0)
                {
                    w.WriteStartArray("problems");
                    foreach (SiteReply problem in round.Refusals.Cast<SiteReply>().Concat(round.Failures))
                    {
                        w.WriteStartObject();
                        w.WriteString("site", problem.Site.Value);
                        w.WriteString("outcome", Describe(problem));
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (result.ClientPrivacy is { } client && result.Job.ClientDp is { } clientDp)
            {
                // Client-level DP-FedAvg: the job's ε is that of a site in every round (the seeded draw of sites amplifies
                // nothing); each site's is what it booked in its own budget per round it took part in: one Gaussian mechanism
                // (central noise) or the RDP curve of the sites' distributed discrete Gaussian or Skellam noise.
                w.WriteStartObject("privacy");
                w.WriteString("mode", "client-level");
                w.WriteString("noise", client.Distributed is { } distributed ? Privacy.Distributed.DistributedDp.Describe(distributed.Mechanism) : "central-gaussian");
                w.WriteNumber("job_epsilon", client.Epsilon);
                w.WriteNumber("delta", clientDp.Options.Delta);
                w.WriteNumber("noise_multiplier", client.NoiseMultiplier);
                w.WriteNumber("update_noise_multiplier", client.UpdateNoiseMultiplier);
                if (client.BitNoise is { } bitNoise)
                {
                    w.WriteNumber("bit_noise", bitNoise);
                }

                w.WriteNumber("sample_rate", client.SampleRate);
                w.WriteNumber("sampled_sites", client.SampledSites);
                w.WriteNumber("total_sites", client.TotalSites);
                w.WriteNumber("rounds", clientDp.TotalRounds);
                w.WriteString("clipping", clientDp.Options.Adaptive is null ? "fixed" : "adaptive");
                w.WriteNumber(clientDp.Options.Adaptive is null ? "clip" : "initial_clip", clientDp.Options.ClipNorm);
                WritePrivacySites(w, result.Privacy, stepsName: "rounds"); // client level: a site's steps are its rounds
                w.WriteEndObject();
            }
            else if (result.Privacy.Count > 0)
            {
                w.WriteStartObject("privacy");
                w.WriteString("mode", "sample-level");
                w.WriteNumber("job_epsilon", result.Privacy.Max(p => p.Epsilon));
                w.WriteNumber("delta", result.Privacy[0].Delta);
                WritePrivacySites(w, result.Privacy, stepsName: "steps");
                w.WriteEndObject();
            }

            w.WriteStartArray("warnings");
            foreach (string warning in warnings ?? [])
            {
                w.WriteStringValue(warning);
            }

            w.WriteEndArray();
            w.WritePropertyName("final");
            WriteSummary(w, result.Final);
            w.WriteStartArray("baselines");
            foreach (BaselineResult baseline in result.Baselines)
            {
                w.WriteStartObject();
                w.WriteString("name", baseline.Name);
                w.WritePropertyName("evaluation");
                WriteSummary(w, baseline.Evaluation);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static string Describe(SiteReply reply) => reply switch
    {
        Refused r => $"refused ({r.Rule}): {r.Reason}",
        Failed f => $"failed ({f.Code}): {f.Message}",
        Missed => "missed the deadline",
        _ => reply.GetType().Name,
    };

    /// <summary>Each site's privacy spend; <paramref name="stepsName"/> names the count of mechanism runs.</summary>
    private static void WritePrivacySites(Utf8JsonWriter w, IReadOnlyList<Federation.Sites.SitePrivacyReport> privacy, string stepsName)
    {
        w.WriteStartArray("sites");
        foreach (Federation.Sites.SitePrivacyReport p in privacy)
        {
            w.WriteStartObject();
            w.WriteString("site", p.Site.Value);
            w.WriteNumber("epsilon", p.Epsilon);
            w.WriteString("mechanism", p.Mechanism); // what the site charged: the mechanism it ran, by its own accountant
            w.WriteNumber("round_epsilon", p.RoundEpsilon);
            w.WriteNumber("noise_multiplier", p.NoiseMultiplier);
            w.WriteNumber("sample_rate", p.SampleRate);
            w.WriteNumber(stepsName, p.Steps);
            if (p.LifetimeEpsilon is { } spent && p.LifetimeBudget is { } limit)
            {
                w.WriteNumber("lifetime_epsilon", spent);
                w.WriteNumber("lifetime_budget", limit);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteSummary(Utf8JsonWriter w, MetricSummary summary)
    {
        w.WriteStartObject();
        WriteMetrics(w, "mean", summary.Mean);
        WriteMetrics(w, "weighted", summary.Weighted);
        w.WriteStartArray("sites");
        foreach (EvaluationReport site in summary.Sites)
        {
            w.WriteStartObject();
            w.WriteString("site", site.Site.Value);
            w.WriteNumber("examples", site.Examples);
            foreach (MetricValue metric in site.Metrics)
            {
                Json.Number(w, metric.Kind.ReportName(), metric.Value);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMetrics(Utf8JsonWriter w, string name, IReadOnlyList<MetricValue> metrics)
    {
        w.WriteStartObject(name);
        foreach (MetricValue metric in metrics)
        {
            Json.Number(w, metric.Kind.ReportName(), metric.Value);
        }

        w.WriteEndObject();
    }

    public static string ModelJson(SimulationResult result)
    {
        ParameterVector parameters = result.Federated.FinalModel.Parameters;
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", "consortia-model/1");
            w.WriteString("job", result.Job.Name);
            w.WriteString("kind", result.Spec.Kind.ToString().ToLowerInvariant());
            w.WriteNumber("features", result.Spec.FeatureCount);
            w.WriteStartArray("hidden");
            foreach (int h in result.Spec.HiddenLayers)
            {
                w.WriteNumberValue(h);
            }

            w.WriteEndArray();
            w.WriteNumber("round", result.Federated.FinalModel.Round.Value);
            w.WriteStartArray("segments");
            foreach (ParameterSegment segment in parameters.Layout.Segments)
            {
                w.WriteStartObject();
                w.WriteString("name", segment.Name);
                w.WriteStartArray("shape");
                foreach (int d in segment.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("values");
                foreach (float v in parameters.Values.Slice(segment.Offset, segment.Length))
                {
                    w.WriteNumberValue(v);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static string Markdown(SimulationResult result, IReadOnlyList<string>? warnings = null)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder md = new();
        md.AppendLine(c, $"# {result.Job.Name}");
        md.AppendLine();
        if (warnings is { Count: > 0 })
        {
            md.AppendLine("## Privacy warnings");
            md.AppendLine();
            foreach (string warning in warnings)
            {
                md.AppendLine(c, $"- {warning}");
            }

            md.AppendLine();
        }

        md.AppendLine(c, $"Model {result.Spec.Kind} ({result.Spec.CreateLayout().Length} parameters), strategy {JobFile.NameOf(result.Job.Strategy.Kind)}, {result.Job.Engine.Rounds} rounds, seed {result.Job.Seed}, {result.Federated.Elapsed.TotalSeconds:F2} s.");
        md.AppendLine();
        md.AppendLine("Randomness: every site's draws (batches, DP noise, rounding) derive from the seed, so the run reproduces and is **not private**; deployed sites draw their own.");
        md.AppendLine();
        md.AppendLine("## Final model, test metrics per site");
        md.AppendLine();
        AppendTable(md, result.Final);
        md.AppendLine("## Rounds");
        md.AppendLine();
        string[] names = [.. result.Final.Mean.Select(m => m.Kind.ReportName())];
        md.AppendLine(c, $"| round | sites | train loss | {string.Join(" | ", names.Select(n => "mean " + n))} |");
        md.AppendLine(c, $"|---|---|---|{string.Concat(names.Select(_ => "---|"))}");
        foreach (RoundReport round in result.Federated.Rounds)
        {
            string metrics = round.Evaluation is { } e ? string.Join(" | ", e.Mean.Select(m => Format(m.Value))) : string.Join(" | ", names.Select(_ => ""));
            md.AppendLine(c, $"| {round.Round.Value} | {round.Contributors.Count} | {Format(round.TrainLoss)} | {metrics} |");
        }

        md.AppendLine();
        foreach (BaselineResult baseline in result.Baselines)
        {
            md.AppendLine(c, $"## Baseline: {baseline.Name}");
            md.AppendLine();
            AppendTable(md, baseline.Evaluation);
        }

        return md.ToString();
    }

    private static void AppendTable(StringBuilder md, MetricSummary summary)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        string[] names = [.. summary.Mean.Select(m => m.Kind.ReportName())];
        md.AppendLine(c, $"| site | test examples | {string.Join(" | ", names)} |");
        md.AppendLine(c, $"|---|---|{string.Concat(names.Select(_ => "---|"))}");
        foreach (EvaluationReport site in summary.Sites)
        {
            md.AppendLine(c, $"| {site.Site} | {site.Examples} | {string.Join(" | ", site.Metrics.Select(m => Format(m.Value)))} |");
        }

        md.AppendLine(c, $"| **mean over sites** | | {string.Join(" | ", summary.Mean.Select(m => Format(m.Value)))} |");
        md.AppendLine();
    }

    public static string Format(double value) => double.IsFinite(value) ? value.ToString("F4", CultureInfo.InvariantCulture) : "n/a";
}
