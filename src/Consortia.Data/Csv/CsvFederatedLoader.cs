using System.Globalization;
using Consortia.Data.Contracts;
using Consortia.Data.Preprocessing;
using Consortia.Learning;

namespace Consortia.Data.Csv;

/// <summary>
/// The generic CSV source: one headered file checked against a data contract, grouped into sites by the
/// site column, split per site (by the split column, or a seeded split stratified on the label),
/// categorical features one-hot encoded with the contract's levels, and standardised as asked.
/// </summary>
/// <remarks>
/// Nothing is dropped silently: a row that breaks the contract, or has a missing value in any column the
/// model or the split needs, is an error, and every such problem is reported at once.
/// </remarks>
internal static class CsvFederatedLoader
{
    public static FederatedDataset Load(DataSourceOptions options, string csvPath, string contractPath)
    {
        DataContract contract = DataContract.Load(contractPath);
        FeatureEncoder.RequireTrainingRoles(contract);
        var encoder = FeatureEncoder.Create(contract);
        int siteColumn = RoleColumn(contract, options.SiteColumn!, ColumnRole.Site, nameof(DataSourceOptions.SiteColumn)); // Validate() requires it for CSV.
        int splitColumn = options.SplitColumn is null ? -1 : RoleColumn(contract, options.SplitColumn, ColumnRole.Split, nameof(DataSourceOptions.SplitColumn));
        if (splitColumn < 0 && contract.FindRole(ColumnRole.Split) is { } declared)
        {
            throw new DataConfigurationException(contract.SourceFile, declared.SourceLine, nameof(DataSourceOptions.SplitColumn), $"the contract declares the split column '{declared.Name}'; set SplitColumn to '{declared.Name}' to use it, or give the column role ignore for a seeded split.");
        }

        var problems = new ProblemCollector();
        ValidatedTable table = ContractValidator.Validate(contract, CsvFileReader.Read(csvPath, contract.HasHeader, contract.Delimiter, problems), problems);
        problems.ThrowIfAny();
        ReportMissingValues(table, problems);
        problems.ThrowIfAny();

        List<(string Name, List<int> Rows)> groups = GroupBySite(table, siteColumn);
        var sites = new List<RawSite>(groups.Count);
        var random = new RandomSource(options.SplitSeed).Derive("split");
        foreach ((string name, List<int> rows) in groups)
        {
            double[] labels = FeatureEncoder.Labels(table, rows);
            (int[] train, int[] test) = splitColumn >= 0
                ? SplitByColumn(table, rows, splitColumn)
                : rows.Count >= 2 ? StratifiedSplitter.Split(labels, options.TestFraction, random.Derive(name)) : ([.. Enumerable.Range(0, rows.Count)], []);
            int neededTrain = options.Standardization == Standardization.None ? 1 : 2;
            if (train.Length < neededTrain || test.Length == 0)
            {
                problems.Add(table.File, 0, contract.Columns[siteColumn].Name, string.Create(CultureInfo.InvariantCulture, $"site '{name}' has {train.Length} training and {test.Length} test rows; it needs at least {neededTrain} training rows{(neededTrain == 2 ? " (for the standard deviation)" : string.Empty)} and one test row."));
                continue;
            }

            sites.Add(new RawSite(name, encoder.Encode(table, rows), labels, FeatureEncoder.Times(table, rows), train, test));
        }

        if (groups.Count == 0)
        {
            problems.Add(table.File, 0, contract.Columns[siteColumn].Name, "the file has no data rows.");
        }

        problems.ThrowIfAny();
        return FederationAssembler.Assemble(contract.Name, contract.Task, sites, options.Standardization);
    }

    private static int RoleColumn(DataContract contract, string name, ColumnRole role, string option)
    {
        int index = contract.IndexOf(name);
        if (index < 0)
        {
            throw new DataConfigurationException(contract.SourceFile, null, option, $"column '{name}' is not in data contract '{contract.Name}'.");
        }

        ColumnContract column = contract.Columns[index];
        if (column.Role != role)
        {
            throw new DataConfigurationException(contract.SourceFile, column.SourceLine, option, $"column '{name}' has role {DataContract.RoleName(column.Role)} in the contract; expected role {DataContract.RoleName(role)}.");
        }

        return index;
    }

    private static void ReportMissingValues(ValidatedTable table, ProblemCollector problems)
    {
        DataContract contract = table.Contract;
        for (int c = 0; c < contract.Columns.Count; c++)
        {
            ColumnContract column = contract.Columns[c];
            if (column.Role is ColumnRole.Ignore or ColumnRole.Id || !column.AllowMissing)
            {
                continue;
            }

            for (int row = 0; row < table.RowCount; row++)
            {
                if (table.IsMissing(row, c))
                {
                    problems.Add(table.File, table.Line(row), column.Name, $"the value is missing, and the CSV loader neither imputes nor drops rows; expected a value for this {DataContract.RoleName(column.Role)} column.");
                }
            }
        }
    }

    /// <summary>Groups rows by site: in the order of the contract's levels for a categorical site column, else of first appearance.</summary>
    internal static List<(string Name, List<int> Rows)> GroupBySite(ValidatedTable table, int siteColumn)
    {
        var byName = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<string>();
        for (int row = 0; row < table.RowCount; row++)
        {
            string name = table.GetText(row, siteColumn)!; // Site columns cannot allow missing values.
            if (!byName.TryGetValue(name, out List<int>? rows))
            {
                byName[name] = rows = [];
                order.Add(name);
            }

            rows.Add(row);
        }

        ColumnContract column = table.Contract.Columns[siteColumn];
        if (column.Type == ColumnType.Categorical)
        {
            order = [.. column.Levels.Where(byName.ContainsKey)];
        }

        return [.. order.Select(name => (name, byName[name]))];
    }

    private static (int[] Train, int[] Test) SplitByColumn(ValidatedTable table, List<int> rows, int splitColumn)
    {
        var train = new List<int>();
        var test = new List<int>();
        for (int i = 0; i < rows.Count; i++)
        {
            _ = SplitFolds.TryParse(table.GetText(rows[i], splitColumn)!, out bool isTest); // Validated: train or test.
            (isTest ? test : train).Add(i);
        }

        return ([.. train], [.. test]);
    }
}
