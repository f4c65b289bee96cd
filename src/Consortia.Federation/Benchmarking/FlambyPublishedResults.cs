using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Consortia.Federation.Benchmarking;

/// <summary>FLamby's published per-seed results (the <c>flamby-results/*_seed*.csv</c> files shipped with the data).</summary>
public sealed class FlambyPublishedResults
{
    private readonly Dictionary<string, Dictionary<int, SortedDictionary<int, double>>> _values; // method → seed → center → metric

    private FlambyPublishedResults(Dictionary<string, Dictionary<int, SortedDictionary<int, double>>> values) => _values = values;

    /// <summary>Reads every <c>*_seed*.csv</c> file of a folder.</summary>
    /// <param name="folder">The <c>flamby-results</c> folder.</param>
    /// <returns>The results; empty when the folder does not exist.</returns>
    public static FlambyPublishedResults Load(string folder)
    {
        Dictionary<string, Dictionary<int, SortedDictionary<int, double>>> values = new(StringComparer.Ordinal);
        if (!Directory.Exists(folder))
        {
            return new FlambyPublishedResults(values);
        }

        foreach (string file in Directory.GetFiles(folder, "*_seed*.csv").Order(StringComparer.Ordinal))
        {
            using StreamReader reader = new(file);
            using CsvReader csv = new(reader, new CsvConfiguration(CultureInfo.InvariantCulture));
            csv.Read();
            csv.ReadHeader();
            while (csv.Read())
            {
                string method = csv.GetField("Method") ?? "";
                string test = csv.GetField("Test") ?? "";
                if (!test.StartsWith("client_test_", StringComparison.Ordinal))
                {
                    continue; // the pooled test set is not part of FLamby's headline figure
                }

                int center = int.Parse(test["client_test_".Length..], CultureInfo.InvariantCulture);
                int seed = int.Parse(csv.GetField("seed") ?? "0", CultureInfo.InvariantCulture);
                double metric = double.Parse(csv.GetField("Metric") ?? "NaN", CultureInfo.InvariantCulture);
                if (!values.TryGetValue(method, out var bySeed))
                {
                    values[method] = bySeed = [];
                }

                if (!bySeed.TryGetValue(seed, out var byCenter))
                {
                    bySeed[seed] = byCenter = [];
                }

                byCenter[center] = metric;
            }
        }

        return new FlambyPublishedResults(values);
    }

    /// <summary>FLamby's mean over seeds of the mean over centers, or <see langword="null"/> when it did not run the method.</summary>
    /// <param name="method">FLamby's method name (e.g. <c>FedAvg100</c>).</param>
    /// <returns>The published value.</returns>
    public double? MeanOverCenters(string? method)
    {
        if (method is null || !_values.TryGetValue(method, out var bySeed) || bySeed.Count == 0)
        {
            return null;
        }

        return bySeed.Values.Average(centers => centers.Values.Average());
    }

    /// <summary>FLamby's per-center means over seeds.</summary>
    /// <param name="method">FLamby's method name.</param>
    /// <returns>One value per center, or <see langword="null"/>.</returns>
    public IReadOnlyList<double>? PerCenter(string? method)
    {
        if (method is null || !_values.TryGetValue(method, out var bySeed) || bySeed.Count == 0)
        {
            return null;
        }

        int centers = bySeed.Values.Max(c => c.Count);
        return [.. Enumerable.Range(0, centers).Select(c => bySeed.Values.Where(v => v.ContainsKey(c)).Average(v => v[c]))];
    }
}
