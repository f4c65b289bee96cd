using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Consortia.Assurance.Fairness;
using Consortia.Cli.Commands;

namespace Consortia.Cli.Output.Reports;

/// <summary>
/// What a report and a model card say about a fairness audit: the audit read back from the JSON of
/// <c>audit-model fairness --json</c> (simulation or deployment), or why no audit was run.
/// </summary>
internal sealed record FairnessFacts
{
    /// <summary>Where the audit came from, for the report ("fairness.json", a path).</summary>
    public required string Source { get; init; }

    /// <summary>A classifier's audit: per-group rates, AUC, calibration, curves and gaps.</summary>
    public FairnessReport? Classification { get; init; }

    /// <summary>A Cox model's audit: per-group C-index and its gap.</summary>
    public SurvivalFairnessReport? Survival { get; init; }

    /// <summary>Per site, the cells it withheld as below its minimum cell count ("attribute=group").</summary>
    public IReadOnlyList<(string Site, IReadOnlyList<string> Cells)> Withheld { get; init; } = [];

    /// <summary>The simulation's largest difference between the counts' numbers and the pooled predictions' (absent for a deployment).</summary>
    public double? PooledMaxAbsDiff { get; init; }

    /// <summary>Why the job declares groups but has no audit (e.g. no round was aggregated); null when there is one.</summary>
    public string? NotRun { get; init; }

    /// <summary>The attributes audited, the site first.</summary>
    public IEnumerable<string> Attributes =>
        (Classification?.Gaps ?? Survival?.Gaps ?? []).Select(g => g.Attribute);
}

/// <summary>
/// The ROC and calibration part of the fairness audit's JSON (written into <c>audit-model fairness --json</c>) and the
/// reader of the whole JSON for <c>report training --fairness FILE</c> and <c>simulate --out</c>.
/// </summary>
/// <remarks>
/// The reader is strict where a wrong value would print a wrong number (types, ranges) and tolerant of what is
/// optional: <c>pooled_check</c> and <c>withheld</c> (a deployment's audit has no pooled check), <c>roc</c>,
/// <c>calibration</c> and <c>overall</c> (files from before they existed). A <c>--compare</c> file's "after" audit is read.
/// </remarks>
internal static class FairnessJson
{
    /// <summary>The file <c>simulate --out DIR</c> writes.</summary>
    public const string FileName = "fairness.json";

    private const int MaxBytes = 64 * 1024 * 1024;

    /// <summary>Reads a file written by <c>audit-model fairness --json</c>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The audit.</returns>
    /// <exception cref="InvalidDataException">Unreadable, not JSON, or a field missing or out of range (the message names the file and the field).</exception>
    public static FairnessFacts ReadFile(string path)
    {
        FileInfo file = new(path);
        if (!file.Exists)
        {
            throw new InvalidDataException($"{path}: no such file (write it with `consortia audit-model fairness … --json > FILE`).");
        }

        if (file.Length > MaxBytes)
        {
            throw new InvalidDataException($"{path}: {file.Length} bytes; a fairness audit is far below {MaxBytes} bytes, so this is not one.");
        }

        return Read(File.ReadAllText(path), path);
    }

    /// <summary>Reads the JSON of <c>audit-model fairness --json</c>.</summary>
    /// <param name="json">The text.</param>
    /// <param name="source">Its name, for messages and the report.</param>
    /// <returns>The audit.</returns>
    /// <exception cref="InvalidDataException">Not JSON, or a field missing or out of range.</exception>
    public static FairnessFacts Read(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("after", out JsonElement after))
            {
                root = after; // `--compare` prints {"before", "after"}: the model the job trains is the "after" one
            }

            Reader r = new(source);
            JsonElement groups = r.Array(root, "groups", "");
            bool survival = groups.GetArrayLength() > 0 && groups[0].TryGetProperty("c_index", out _);
            ImmutableArray<AttributeGaps> gaps = r.Gaps(root);
            FairnessFacts facts = new()
            {
                Source = source,
                Withheld = r.Withheld(root),
                PooledMaxAbsDiff = root.TryGetProperty("pooled_check", out JsonElement check) && check.ValueKind == JsonValueKind.Object
                    ? r.Number(check, "max_abs_diff", "pooled_check", 0, double.PositiveInfinity) : null,
            };
            if (survival)
            {
                return facts with
                {
                    Survival = new SurvivalFairnessReport([.. groups.EnumerateArray().Select((g, i) => r.SurvivalGroup(g, $"groups[{i}]"))], gaps),
                };
            }

            GroupFairness? overall = root.TryGetProperty("overall", out JsonElement o) && o.ValueKind == JsonValueKind.Object ? r.Group(o, "overall") : null;
            return facts with
            {
                Classification = new FairnessReport([.. groups.EnumerateArray().Select((g, i) => r.Group(g, $"groups[{i}]"))], gaps, overall),
            };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // JsonElement's accessors throw this when a value has another kind than its place requires (a group that is a number).
            throw new InvalidDataException($"{source}: not the JSON of `consortia audit-model fairness --json`: {e.Message}", e);
        }
    }

    /// <summary>Field access that names the file and the field in every error.</summary>
    private sealed class Reader(string source)
    {
        public JsonElement Array(JsonElement parent, string name, string at) =>
            parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Array
                ? value
                : throw Error(at, name, "an array");

        public GroupFairness Group(JsonElement g, string at)
        {
            long n = Count(g, "n", at);
            GroupFairness group = new(
                Text(g, "attribute", at), Text(g, "group", at), n, Count(g, "positives", at), (int)Math.Min(int.MaxValue, Count(g, "sites", at)),
                Estimate(g, "accuracy", at), Estimate(g, "tpr", at), Estimate(g, "fpr", at), Estimate(g, "positive_rate", at), Estimate(g, "auc", at),
                Number(g, "calibration_error", at, 0, 1) ?? double.NaN);
            if (!g.TryGetProperty("roc", out _))
            {
                return group;
            }

            ImmutableArray<RocPoint> roc = [.. Array(g, "roc", at).EnumerateArray().Select((p, i) => new RocPoint(
                Number(p, "threshold", $"{at}.roc[{i}]", 0, 1) ?? double.PositiveInfinity,
                Number(p, "fpr", $"{at}.roc[{i}]", 0, 1) ?? throw Error($"{at}.roc[{i}]", "fpr", "a rate"),
                Number(p, "tpr", $"{at}.roc[{i}]", 0, 1) ?? throw Error($"{at}.roc[{i}]", "tpr", "a rate")))];
            ImmutableArray<CalibrationBinCounts> bins = [.. Array(g, "calibration", at).EnumerateArray().Select((b, i) =>
            {
                string here = $"{at}.calibration[{i}]";
                double rate = Number(b, "observed_rate", here, 0, 1) ?? double.NaN;
                (double lower, double upper) = Pair(b, "ci95", here);
                return new CalibrationBinCounts(Number(b, "lower", here, 0, 1) ?? 0, Number(b, "upper", here, 0, 1) ?? 1, Count(b, "n", here), Count(b, "positives", here),
                    Number(b, "mean_predicted", here, 0, 1) ?? double.NaN, new Interval(rate, lower, upper));
            })];
            (double eceLower, double eceUpper) = g.TryGetProperty("ci95", out JsonElement ci) ? Pair(ci, "calibration_error", at + ".ci95") : (double.NaN, double.NaN);
            return group with { Curves = new GroupCurves(roc, bins, new Interval(group.CalibrationError, eceLower, eceUpper)) };
        }

        public SurvivalGroupFairness SurvivalGroup(JsonElement g, string at)
        {
            double index = Number(g, "c_index", at, 0, 1) ?? double.NaN;
            (double lower, double upper) = g.TryGetProperty("ci95", out JsonElement ci) ? Pair(ci, "c_index", at + ".ci95") : (double.NaN, double.NaN);
            return new SurvivalGroupFairness(Text(g, "attribute", at), Text(g, "group", at), Count(g, "n", at), Count(g, "events", at),
                (int)Math.Min(int.MaxValue, Count(g, "sites", at)), Count(g, "comparable_pairs", at), new Interval(index, lower, upper));
        }

        public ImmutableArray<AttributeGaps> Gaps(JsonElement root)
        {
            if (!root.TryGetProperty("gaps", out JsonElement gaps) || gaps.ValueKind != JsonValueKind.Object)
            {
                throw Error("", "gaps", "an object of attributes");
            }

            return [.. gaps.EnumerateObject().Select(attribute => new AttributeGaps(attribute.Name, [.. attribute.Value.ValueKind == JsonValueKind.Object
                ? attribute.Value.EnumerateObject().Select(metric =>
                {
                    string at = $"gaps.{attribute.Name}";
                    double value = Number(metric.Value, "value", $"{at}.{metric.Name}", -1, 1) ?? double.NaN;
                    (double lower, double upper) = Pair(metric.Value, "ci95", $"{at}.{metric.Name}");
                    return new FairnessGap(metric.Name, new Interval(value, lower, upper), Text(metric.Value, "high", $"{at}.{metric.Name}"), Text(metric.Value, "low", $"{at}.{metric.Name}"));
                })
                : throw Error("gaps", attribute.Name, "an object of gaps")]))];
        }

        public IReadOnlyList<(string, IReadOnlyList<string>)> Withheld(JsonElement root) =>
            root.TryGetProperty("withheld", out JsonElement withheld) && withheld.ValueKind == JsonValueKind.Object
                ? [.. withheld.EnumerateObject().Select(site => (site.Name, (IReadOnlyList<string>)[.. Array(withheld, site.Name, "withheld").EnumerateArray()
                    .Select(c => c.ValueKind == JsonValueKind.String ? c.GetString()! : throw Error("withheld", site.Name, "an array of \"attribute=group\" strings"))]))]
                : [];

        /// <summary>A number in [min, max], or null when the field is null (undefined) or absent.</summary>
        public double? Number(JsonElement parent, string name, string at, double min, double max)
        {
            if (!parent.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            // A small tolerance: interval ends are computed in floating point and may pass 0 or 1 by a rounding error.
            return value.ValueKind == JsonValueKind.Number && value.GetDouble() is double d && d >= min - 1e-9 && d <= max + 1e-9
                ? d
                : throw Error(at, name, string.Create(CultureInfo.InvariantCulture, $"a number in [{min}, {max}] or null"));
        }

        private Interval Estimate(JsonElement g, string name, string at)
        {
            double value = Number(g, name, at, 0, 1) ?? double.NaN;
            (double lower, double upper) = g.TryGetProperty("ci95", out JsonElement ci) ? Pair(ci, name, at + ".ci95") : (double.NaN, double.NaN);
            return new Interval(value, lower, upper);
        }

        private (double, double) Pair(JsonElement parent, string name, string at)
        {
            if (!parent.TryGetProperty(name, out JsonElement pair) || pair.ValueKind == JsonValueKind.Null)
            {
                return (double.NaN, double.NaN);
            }

            return pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2 && pair[0].ValueKind == JsonValueKind.Number && pair[1].ValueKind == JsonValueKind.Number
                && pair[0].GetDouble() <= pair[1].GetDouble()
                ? (pair[0].GetDouble(), pair[1].GetDouble())
                : throw Error(at, name, "[lower, upper] with lower ≤ upper, or null");
        }

        private long Count(JsonElement parent, string name, string at) =>
            parent.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long n) && n >= 0
                ? n
                : throw Error(at, name, "a non-negative integer");

        private string Text(JsonElement parent, string name, string at) =>
            parent.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw Error(at, name, "a string");

        private InvalidDataException Error(string at, string name, string expected) =>
            new($"{source}: {(at.Length == 0 ? "" : at + ".")}{name}: expected {expected} (the JSON of `consortia audit-model fairness --json`).");
    }
}
