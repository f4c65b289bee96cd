using System.Collections.Immutable;
using System.Globalization;
using Consortia.Data.Preprocessing;
using Consortia.Learning;
using Consortia.Yaml;

namespace Consortia.Data.Contracts;

/// <summary>One group of a sensitive attribute: the records whose value equals <see cref="Value"/>, or lies in [<see cref="Lower"/>, <see cref="Upper"/>).</summary>
/// <param name="Name">The group's name in reports (e.g. <c>female</c>, <c>55-64</c>).</param>
/// <param name="Value">For a categorical attribute, the coded value; <see langword="null"/> for a band.</param>
/// <param name="Lower">For a band, its inclusive lower edge (−∞ for the first band).</param>
/// <param name="Upper">For a band, its exclusive upper edge (+∞ for the last band).</param>
public sealed record SensitiveGroup(string Name, double? Value, double Lower, double Upper);

/// <summary>
/// A sensitive attribute whose groups a fairness audit compares (e.g. sex, age band), with every group declared up
/// front: the per-group counts a site sends have a fixed layout, so a group's presence or absence says nothing.
/// </summary>
/// <param name="Name">The attribute's name in reports and on the command line (e.g. <c>sex</c>, <c>age_band</c>).</param>
/// <param name="Column">The data column holding it, as the data contract names it (e.g. <c>sex</c>, <c>age</c>).</param>
/// <param name="Groups">Its groups, in report order; every record falls in exactly one.</param>
public sealed record SensitiveVariable(string Name, string Column, ImmutableArray<SensitiveGroup> Groups)
{
    // Values come back from per-site standardisation as floats (x·σ + μ); a coded value or an integer age is
    // recovered to well within this, while distinct codes or years are at least 1 apart.
    private const double ValueTolerance = 1e-3;

    /// <summary>The index in <see cref="Groups"/> of the group holding <paramref name="value"/>, or −1 when none does.</summary>
    /// <param name="value">The record's value of <see cref="Column"/> on the data's original scale.</param>
    /// <returns>The group index, or −1.</returns>
    public int GroupOf(double value)
    {
        for (int g = 0; g < Groups.Length; g++)
        {
            SensitiveGroup group = Groups[g];
            if (group.Value is { } coded ? Math.Abs(value - coded) < ValueTolerance
                : value + ValueTolerance >= group.Lower && value + ValueTolerance < group.Upper)
            {
                return g;
            }
        }

        return -1;
    }

    /// <summary>Each record's group index, from the records' values on the original scale.</summary>
    /// <param name="site">The site (its standardisation statistics undo the per-site scaling).</param>
    /// <param name="data">The records (the site's train or test part).</param>
    /// <returns>One group index per record.</returns>
    /// <exception cref="ArgumentException">The column is not a feature of the data, or a value falls in no group (the message names the site, record, column and value).</exception>
    public int[] GroupsOf(SiteData site, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(data);
        int j = IndexOf(data.FeatureNames, Column);
        if (j < 0)
        {
            throw new ArgumentException($"Site '{site.Name}': sensitive column '{Column}' is not a feature of the data (features: {string.Join(", ", data.FeatureNames)}).", nameof(data));
        }

        double mean = 0, scale = 1;
        if (site.Statistics is { } statistics && IndexOf(statistics.FeatureNames, Column) is >= 0 and int k)
        {
            // Undo x' = (x − μ) / (σ + ε): records are grouped by their recorded value, not the scaled one.
            mean = statistics.Means[k];
            scale = statistics.StandardDeviations[k] + StandardizationStatistics.Epsilon;
        }

        int[] groups = new int[data.Count];
        for (int i = 0; i < groups.Length; i++)
        {
            double value = (data.Row(i)[j] * scale) + mean;
            groups[i] = GroupOf(value);
            if (groups[i] < 0)
            {
                throw new ArgumentException(
                    $"Site '{site.Name}', record {i}: column '{Column}' holds {value.ToString(CultureInfo.InvariantCulture)}, which is in no group of attribute '{Name}' ({string.Join(", ", Groups.Select(g => g.Name))}).", nameof(data));
            }
        }

        return groups;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int j = 0; j < names.Count; j++)
        {
            if (string.Equals(names[j], name, StringComparison.Ordinal))
            {
                return j;
            }
        }

        return -1;
    }

    /// <summary>
    /// Reads the <c>groups:</c> mapping of a job's <c>fairness:</c> section: per attribute, <c>column</c> and either
    /// <c>values: {name: code, …}</c> (categorical) or <c>bands: [edge, …]</c> (increasing cut points of a numeric column).
    /// </summary>
    /// <param name="groups">The mapping, one key per attribute.</param>
    /// <returns>The attributes, in file order.</returns>
    /// <exception cref="Exception">An attribute is malformed (the error names the file, line and field).</exception>
    public static IReadOnlyList<SensitiveVariable> Read(YamlSection groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        List<SensitiveVariable> result = [];
        foreach (string name in groups.Keys.ToArray())
        {
            YamlSection attribute = groups.RequireSection(name);
            string column = attribute.RequireValue("column");
            YamlSection? values = attribute.Section("values");
            IReadOnlyList<(string Value, YamlDotNet.RepresentationModel.YamlNode Node)>? bands = values is null ? attribute.List("bands") : null;
            if (values is not null && attribute.Get("bands") is not null)
            {
                throw attribute.Error("bands", "give either values (a categorical attribute) or bands (a numeric one), not both.");
            }

            ImmutableArray<SensitiveGroup> parsed = values is not null ? Categories(values)
                : bands is not null ? Bands(attribute, bands)
                : throw attribute.MappingError(attribute.Path, "needs values: {name: code, …} or bands: [edge, …].");
            attribute.RejectUnreadKeys("is not a field of a fairness attribute (column, values, bands).");
            result.Add(new SensitiveVariable(name, column, parsed));
        }

        if (result.Count == 0)
        {
            throw groups.MappingError(groups.Path, "declares no attribute.");
        }

        return result;
    }

    private static ImmutableArray<SensitiveGroup> Categories(YamlSection values)
    {
        ImmutableArray<SensitiveGroup>.Builder groups = ImmutableArray.CreateBuilder<SensitiveGroup>();
        foreach (string key in values.Keys.ToArray())
        {
            double code = values.RealNumber(key) ?? throw values.Error(key, "needs a numeric code.");
            if (groups.Any(g => Math.Abs(g.Value!.Value - code) < 2 * ValueTolerance))
            {
                throw values.Error(key, string.Create(CultureInfo.InvariantCulture, $"code {code} is used by another group."));
            }

            groups.Add(new SensitiveGroup(key, code, double.NegativeInfinity, double.PositiveInfinity));
        }

        if (groups.Count < 2)
        {
            throw values.MappingError(values.Path, "needs at least two groups to compare.");
        }

        return groups.ToImmutable();
    }

    private static ImmutableArray<SensitiveGroup> Bands(YamlSection attribute, IReadOnlyList<(string Value, YamlDotNet.RepresentationModel.YamlNode Node)> items)
    {
        List<double> edges = [];
        foreach ((string text, YamlDotNet.RepresentationModel.YamlNode node) in items)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double edge) || !double.IsFinite(edge)
                || (edges.Count > 0 && edge <= edges[^1]))
            {
                throw attribute.Error(node, attribute.FieldPath("bands"), $"expected increasing numbers, got '{text}'.");
            }

            edges.Add(edge);
        }

        if (edges.Count == 0)
        {
            throw attribute.Error("bands", "needs at least one cut point.");
        }

        ImmutableArray<SensitiveGroup>.Builder groups = ImmutableArray.CreateBuilder<SensitiveGroup>(edges.Count + 1);
        for (int b = 0; b <= edges.Count; b++)
        {
            double lower = b == 0 ? double.NegativeInfinity : edges[b - 1];
            double upper = b == edges.Count ? double.PositiveInfinity : edges[b];
            string name = b == 0 ? Format($"<{upper}")
                : b == edges.Count ? Format($">={lower}")
                : Format($"{lower}-{upper}");
            groups.Add(new SensitiveGroup(name, null, lower, upper));
        }

        return groups.MoveToImmutable();
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
