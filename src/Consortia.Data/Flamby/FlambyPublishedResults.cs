using System.Globalization;
using Consortia.Data.Csv;

namespace Consortia.Data.Flamby;

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
            ProblemCollector problems = new();
            CsvDocument document = CsvFileReader.Read(file, hasHeader: true, ',', problems);
            int Column(string name) => document.Header.ToList().IndexOf(name) is >= 0 and int i
                ? i
                : throw new DataConfigurationException(file, null, name, "FLamby result files need the columns Method, Test, seed and Metric.");
            int methodColumn = Column("Method"), testColumn = Column("Test"), seedColumn = Column("seed"), metricColumn = Column("Metric");
            foreach (CsvRecord record in document.Records)
            {
                string test = record.Fields[testColumn];
                if (!test.StartsWith("client_test_", StringComparison.Ordinal))
                {
                    continue; // the pooled test set is not part of FLamby's headline figure
                }

                int center = int.Parse(test["client_test_".Length..], CultureInfo.InvariantCulture);
                int seed = int.Parse(record.Fields[seedColumn], CultureInfo.InvariantCulture);
                double metric = double.Parse(record.Fields[metricColumn], CultureInfo.InvariantCulture);
                string method = record.Fields[methodColumn];
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
