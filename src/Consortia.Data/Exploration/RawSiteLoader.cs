using Consortia.Data.Contracts;
using Consortia.Data.Csv;

namespace Consortia.Data.Exploration;

/// <summary>Loads each site's data on its original scale, with missing values kept, for federated data exploration.</summary>
public static class RawSiteLoader
{
    /// <summary>Reads the job's data source and returns one table per site.</summary>
    /// <param name="options">The data source (a job's <c>data:</c> section).</param>
    /// <param name="baseDirectory">The directory relative paths are resolved against (usually the job file's).</param>
    /// <returns>The sites' tables in their canonical order.</returns>
    /// <exception cref="DataConfigurationException">The options, a path or a contract is wrong.</exception>
    /// <exception cref="DataValidationException">A data file breaks its contract; every problem is listed with file, line and column.</exception>
    /// <remarks>
    /// CSV sources keep missing values (exploration counts them rather than refusing the file); numeric, integer and
    /// binary feature columns are explored, categorical and text features are not. The FLamby presets hold no missing
    /// values; their features are returned as loaded, with any standardisation the loader applied undone.
    /// </remarks>
    public static IReadOnlyList<RawSiteTable> Load(DataSourceOptions options, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        options.Validate();
        if (options.Format != DataFormat.Csv)
        {
            return FromDataset(FederatedDataLoader.Load(options, baseDirectory));
        }

        string root = Path.GetFullPath(baseDirectory);
        DataContract contract = DataContract.Load(Path.GetFullPath(options.Contract!, root)); // Validate() requires a contract for CSV.
        int siteColumn = contract.IndexOf(options.SiteColumn!); // Validate() requires a site column for CSV.
        if (siteColumn < 0 || contract.Columns[siteColumn].Role != ColumnRole.Site)
        {
            throw new DataConfigurationException(contract.SourceFile, null, nameof(DataSourceOptions.SiteColumn), $"column '{options.SiteColumn}' is not a column with role site in data contract '{contract.Name}'.");
        }

        int target = contract.Columns.ToList().FindIndex(c => c.Role == ColumnRole.Target);
        if (target < 0)
        {
            throw new DataConfigurationException(contract.SourceFile, null, "columns", $"data contract '{contract.Name}' has no column with role target; exploration reports label balance from it.");
        }

        var problems = new ProblemCollector();
        ValidatedTable table = ContractValidator.Validate(contract, CsvFileReader.Read(Path.GetFullPath(options.Path, root), contract.HasHeader, contract.Delimiter, problems), problems);
        problems.ThrowIfAny();
        int[] features = [.. Enumerable.Range(0, contract.Columns.Count).Where(c =>
            contract.Columns[c] is { Role: ColumnRole.Feature, Type: ColumnType.Number or ColumnType.Integer or ColumnType.Binary })];
        var tables = new List<RawSiteTable>();
        foreach ((string name, List<int> rows) in CsvFederatedLoader.GroupBySite(table, siteColumn))
        {
            RawFeature[] columns = [.. features.Select(c => new RawFeature(
                contract.Columns[c].Name, [.. rows.Select(r => table.GetNumber(r, c))], contract.Columns[c].Min, contract.Columns[c].Max))];
            tables.Add(new RawSiteTable(name, columns, [.. rows.Select(r => Label(table, r, target))]));
        }

        if (tables.Count == 0)
        {
            throw new DataValidationException([new DataProblem(table.File, 0, contract.Columns[siteColumn].Name, "the file has no data rows.")]);
        }

        return tables;
    }

    private static double Label(ValidatedTable table, int row, int target)
    {
        ColumnContract column = table.Contract.Columns[target];
        if (table.IsMissing(row, target))
        {
            return double.NaN;
        }

        return column.Type == ColumnType.Categorical ? (column.IsPositiveLevel(table.GetLevel(row, target)) ? 1 : 0) : table.GetNumber(row, target);
    }

    private static RawSiteTable[] FromDataset(FederatedDataset data) => [.. data.Sites.Select(site =>
    {
        int features = site.Train.FeatureCount;
        float[] train = site.Train.Features.ToArray(), test = site.Test.Features.ToArray();
        var columns = new RawFeature[features];
        for (int f = 0; f < features; f++)
        {
            // Undo the loader's scaling exactly as StandardizationStatistics applied it.
            double mean = site.Statistics?.Means[f] ?? 0, deviation = site.Statistics is { } s ? s.StandardDeviations[f] + Preprocessing.StandardizationStatistics.Epsilon : 1;
            columns[f] = new RawFeature(site.Train.FeatureNames[f], [.. Column(train, features, f).Concat(Column(test, features, f)).Select(v => (v * deviation) + mean)]);
        }

        double[] labels = [.. site.Train.Labels.ToArray().Concat(site.Test.Labels.ToArray()).Select(v => (double)v)];
        return new RawSiteTable(site.Name, columns, labels);
    })];

    private static IEnumerable<double> Column(float[] values, int width, int feature)
    {
        for (int i = feature; i < values.Length; i += width)
        {
            yield return values[i];
        }
    }
}
