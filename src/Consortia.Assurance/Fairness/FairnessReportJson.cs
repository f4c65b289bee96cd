using System.Text.Json;

namespace Consortia.Assurance.Fairness;

/// <summary>
/// The JSON form of fairness reports, shared by the simulated audit (<c>consortia audit-model fairness JOB.yaml</c>) and
/// the audit of a deployed job (the coordinator's report): <c>"groups"</c> and <c>"gaps"</c> have one shape in both.
/// </summary>
public static class FairnessReportJson
{
    /// <summary>Writes <c>"groups": [{attribute, group, n, positives, sites, accuracy, tpr, fpr, auc, positive_rate, calibration_error, ci95}]</c> and the gaps.</summary>
    /// <param name="w">The writer, inside an object.</param>
    /// <param name="report">The report.</param>
    public static void WriteReport(Utf8JsonWriter w, FairnessReport report)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(report);
        w.WriteStartArray("groups");
        foreach (GroupFairness g in report.Groups)
        {
            WriteGroup(w, g);
        }

        w.WriteEndArray();
        if (report.Overall is { } overall)
        {
            w.WritePropertyName("overall");
            WriteGroup(w, overall);
        }

        WriteGaps(w, report.Gaps);
    }

    private static void WriteGroup(Utf8JsonWriter w, GroupFairness g)
    {
        w.WriteStartObject();
        w.WriteString("attribute", g.Attribute);
        w.WriteString("group", g.Group);
        w.WriteNumber("n", g.N);
        w.WriteNumber("positives", g.Positives);
        w.WriteNumber("sites", g.Sites);
        Number(w, "accuracy", g.Accuracy.Value);
        Number(w, "tpr", g.Tpr.Value);
        Number(w, "fpr", g.Fpr.Value);
        Number(w, "auc", g.Auc.Value);
        Number(w, "positive_rate", g.PositiveRate.Value);
        Number(w, "calibration_error", g.CalibrationError);
        w.WriteStartObject("ci95");
        Range(w, "accuracy", g.Accuracy);
        Range(w, "tpr", g.Tpr);
        Range(w, "fpr", g.Fpr);
        Range(w, "auc", g.Auc);
        Range(w, "positive_rate", g.PositiveRate);
        if (g.Curves is { } curves)
        {
            Range(w, "calibration_error", curves.CalibrationError);
        }

        w.WriteEndObject();
        WriteCurves(w, g.Curves); // the ROC corners and calibration bins from the same counts (docs/reports.md)
        w.WriteEndObject();
    }

    /// <summary>Writes a group's <c>"roc"</c> corners and <c>"calibration"</c> bins, drawn from its score histograms; nothing without curves.</summary>
    /// <param name="w">The writer, inside the group's object.</param>
    /// <param name="curves">The curves, or <see langword="null"/>.</param>
    public static void WriteCurves(Utf8JsonWriter w, GroupCurves? curves)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (curves is null)
        {
            return;
        }

        w.WriteStartArray("roc");
        foreach (RocPoint p in curves.Roc)
        {
            w.WriteStartObject();
            Number(w, "threshold", p.Threshold); // null for the start (0, 0): no score reaches +∞
            w.WriteNumber("fpr", p.Fpr);
            w.WriteNumber("tpr", p.Tpr);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("calibration");
        foreach (CalibrationBinCounts b in curves.Calibration)
        {
            w.WriteStartObject();
            w.WriteNumber("lower", b.Lower);
            w.WriteNumber("upper", b.Upper);
            w.WriteNumber("n", b.N);
            w.WriteNumber("positives", b.Positives);
            Number(w, "mean_predicted", b.MeanPredicted);
            Number(w, "observed_rate", b.ObservedRate.Value);
            Range(w, "ci95", b.ObservedRate);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }


    /// <summary>Writes <c>"groups": [{attribute, group, n, events, sites, comparable_pairs, c_index, ci95}]</c> and the gaps.</summary>
    /// <param name="w">The writer, inside an object.</param>
    /// <param name="report">The report.</param>
    public static void WriteReport(Utf8JsonWriter w, SurvivalFairnessReport report)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(report);
        w.WriteStartArray("groups");
        foreach (SurvivalGroupFairness g in report.Groups)
        {
            w.WriteStartObject();
            w.WriteString("attribute", g.Attribute);
            w.WriteString("group", g.Group);
            w.WriteNumber("n", g.N);
            w.WriteNumber("events", g.Events);
            w.WriteNumber("sites", g.Sites);
            w.WriteNumber("comparable_pairs", g.ComparablePairs);
            Number(w, "c_index", g.CIndex.Value);
            w.WriteStartObject("ci95");
            Range(w, "c_index", g.CIndex);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteGaps(w, report.Gaps);
    }

    /// <summary>Writes <c>"gaps": {attribute: {metric: {value, ci95, high, low}}}</c>.</summary>
    /// <param name="w">The writer, inside an object.</param>
    /// <param name="gaps">The gaps.</param>
    public static void WriteGaps(Utf8JsonWriter w, IEnumerable<AttributeGaps> gaps)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(gaps);
        w.WriteStartObject("gaps");
        foreach (AttributeGaps attribute in gaps)
        {
            w.WriteStartObject(attribute.Attribute);
            foreach (FairnessGap gap in attribute.Gaps)
            {
                w.WriteStartObject(gap.Metric);
                Number(w, "value", gap.Gap.Value);
                Range(w, "ci95", gap.Gap);
                w.WriteString("high", gap.High);
                w.WriteString("low", gap.Low);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    /// <summary>Writes <c>"withheld": {site: ["attribute=group", …]}</c>.</summary>
    /// <param name="w">The writer, inside an object.</param>
    /// <param name="withheld">Per site, the cells it suppressed.</param>
    public static void WriteWithheld(Utf8JsonWriter w, IReadOnlyDictionary<string, IReadOnlyList<FairnessCell>> withheld)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(withheld);
        w.WriteStartObject("withheld");
        foreach ((string site, IReadOnlyList<FairnessCell> cells) in withheld)
        {
            w.WriteStartArray(site);
            foreach (FairnessCell cell in cells)
            {
                w.WriteStringValue(cell.Attribute + "=" + cell.Group);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    /// <summary>Writes a number, or null when it is undefined (JSON has no NaN).</summary>
    /// <param name="w">The writer.</param>
    /// <param name="name">The property.</param>
    /// <param name="value">The value.</param>
    public static void Number(Utf8JsonWriter w, string name, double value)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteNull(name); // undefined (e.g. a TPR without positives): JSON has no NaN
        }
    }

    /// <summary>Writes an interval's bounds as a two-element array, or null when undefined.</summary>
    /// <param name="w">The writer.</param>
    /// <param name="name">The property.</param>
    /// <param name="interval">The interval.</param>
    public static void Range(Utf8JsonWriter w, string name, Interval interval)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (double.IsFinite(interval.Lower) && double.IsFinite(interval.Upper))
        {
            w.WriteStartArray(name);
            w.WriteNumberValue(interval.Lower);
            w.WriteNumberValue(interval.Upper);
            w.WriteEndArray();
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
