using System.Globalization;
using Consortia.Data.Contracts;
using Consortia.Data.Csv;
using Consortia.Data.Preprocessing;

namespace Consortia.Data.Flamby;

/// <summary>
/// Loads FLamby's Fed-TCGA-BRCA survival benchmark from <c>brca.csv</c>, <c>centers.csv</c> and
/// <c>train_test_split.csv</c>, as FLamby does (see <c>data/fed-tcga-brca/README.md</c>).
/// </summary>
/// <remarks>
/// Each patient's region is <c>centers.csv[pid characters 6–7].Region</c>; the regions of
/// <see cref="RegionNames"/> are centers 0–5 and the patients of region <c>Other</c> are left out (8 of
/// 1,096), as in FLamby. Membership comes from <c>fold2</c> (<c>train_k</c> / <c>test_k</c>), which is
/// checked against the region. Features are the 39 columns between <c>pid</c> and <c>E</c>, unscaled as in
/// FLamby unless <see cref="Standardization.Pooled"/> is asked for: then every site is standardised with the
/// mean and deviation of all sites' <em>training</em> rows (statistics a federation can compute from sums, so
/// the unscaled age no longer dominates the gradient); test rows never enter the statistics. The label is
/// the event <c>E</c> and the time is <c>T</c>. Rows keep their <c>brca.csv</c> order.
/// </remarks>
public static class FlambyTcgaBrca
{
    /// <summary>The dataset name.</summary>
    public const string DatasetName = "fed-tcga-brca";

    /// <summary>The patient file.</summary>
    public const string DataFileName = "brca.csv";

    /// <summary>The tissue-source-site file.</summary>
    public const string CentersFileName = "centers.csv";

    /// <summary>The split file.</summary>
    public const string SplitFileName = "train_test_split.csv";

    /// <summary>The regions that are FLamby's centers 0–5, in order.</summary>
    public static IReadOnlyList<string> RegionNames { get; } = ["Northeast", "South", "West", "Midwest", "Europe", "Canada"];

    /// <summary>Loads the benchmark from a directory holding the three files.</summary>
    /// <param name="directory">The dataset directory (<c>data/fed-tcga-brca</c>).</param>
    /// <param name="contract">A contract for <c>brca.csv</c>, or <see langword="null"/> for the shipped one.</param>
    /// <param name="standardization">
    /// <see cref="Standardization.Pooled"/> standardises every site with the pooled training statistics;
    /// <see cref="Standardization.None"/> and <see cref="Standardization.PerSite"/> (the default) keep FLamby's
    /// unscaled features.
    /// </param>
    /// <returns>Six sites and the pooled data, for survival analysis.</returns>
    /// <exception cref="DataConfigurationException">A file is missing, or the contract cannot feed survival training.</exception>
    /// <exception cref="DataValidationException">A file breaks its contract, or the files disagree with each other.</exception>
    public static FederatedDataset Load(string directory, DataContract? contract = null, Standardization standardization = Standardization.PerSite)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new DataConfigurationException(directory, null, nameof(DataSourceOptions.Path), "the Fed-TCGA-BRCA directory does not exist.");
        }

        contract ??= ShippedContracts.Load(ShippedContracts.TcgaBrca);
        FeatureEncoder.RequireTrainingRoles(contract);
        if (contract.Task != LearningTask.Survival)
        {
            throw new DataConfigurationException(contract.SourceFile ?? contract.Name, null, "columns", "Fed-TCGA-BRCA is a survival task; the contract needs time and event columns.");
        }

        ColumnContract idColumn = contract.FindRole(ColumnRole.Id) is { Type: ColumnType.Text } id
            ? id
            : throw new DataConfigurationException(contract.SourceFile ?? contract.Name, null, "columns", "the contract needs a text column with role id holding the TCGA barcode (pid).");
        var encoder = FeatureEncoder.Create(contract);
        var problems = new ProblemCollector();

        ValidatedTable data = Read(contract, Path.Combine(directory, DataFileName), problems);
        ValidatedTable centers = Read(ShippedContracts.Load(ShippedContracts.TcgaBrcaCenters), Path.Combine(directory, CentersFileName), problems);
        ValidatedTable split = Read(ShippedContracts.Load(ShippedContracts.TcgaBrcaSplit), Path.Combine(directory, SplitFileName), problems);
        problems.ThrowIfAny();

        Dictionary<string, string> regionOfSite = Regions(centers);
        Dictionary<string, SplitEntry> folds = Folds(split);

        var rowsOfCenter = new List<int>[RegionNames.Count];
        var testOfCenter = new List<bool>[RegionNames.Count];
        for (int c = 0; c < RegionNames.Count; c++)
        {
            rowsOfCenter[c] = [];
            testOfCenter[c] = [];
        }

        int pidColumn = contract.IndexOf(idColumn.Name);
        var patients = new HashSet<string>(StringComparer.Ordinal);
        for (int row = 0; row < data.RowCount; row++)
        {
            string pid = data.GetText(row, pidColumn)!; // Id columns cannot be missing in a valid table.
            patients.Add(pid);
            string? site = pid.Length >= 7 ? pid.Substring(5, 2) : null;
            if (site is null || !regionOfSite.TryGetValue(site, out string? region))
            {
                problems.Add(data.File, data.Line(row), idColumn.Name, $"the tissue source site code (characters 6-7 of the barcode) is not listed in {CentersFileName}.");
                continue;
            }

            int center = IndexOf(RegionNames, region);
            folds.TryGetValue(pid, out SplitEntry? entry);
            if (center < 0)
            {
                if (entry is not null)
                {
                    problems.Add(split.File, entry.Line, "pid", $"the patient's region is {region}, which FLamby leaves out; the split must not list it.");
                }

                continue; // FLamby leaves out the patients of region Other.
            }

            if (entry is null)
            {
                problems.Add(data.File, data.Line(row), idColumn.Name, $"the patient (region {region}) is not listed in {SplitFileName}.");
                continue;
            }

            string expected = string.Create(CultureInfo.InvariantCulture, $"{(entry.IsTest ? SplitFolds.Test : SplitFolds.Train)}_{center}");
            if (!string.Equals(entry.Fold2, expected, StringComparison.Ordinal))
            {
                problems.Add(split.File, entry.Line, "fold2", $"expected {expected} (fold {(entry.IsTest ? SplitFolds.Test : SplitFolds.Train)}, region {region} is center {center}), got {entry.Fold2}.");
                continue;
            }

            rowsOfCenter[center].Add(row);
            testOfCenter[center].Add(entry.IsTest);
        }

        foreach ((string pid, SplitEntry entry) in folds)
        {
            if (!patients.Contains(pid))
            {
                problems.Add(split.File, entry.Line, "pid", $"the patient is not in {DataFileName}.");
            }
        }

        problems.ThrowIfAny();

        var sites = new RawSite[RegionNames.Count];
        for (int c = 0; c < RegionNames.Count; c++)
        {
            List<int> rows = rowsOfCenter[c];
            var train = new List<int>();
            var test = new List<int>();
            for (int i = 0; i < rows.Count; i++)
            {
                (testOfCenter[c][i] ? test : train).Add(i);
            }

            sites[c] = new RawSite(
                RegionNames[c],
                encoder.Encode(data, rows),
                FeatureEncoder.Labels(data, rows),
                FeatureEncoder.Times(data, rows),
                [.. train],
                [.. test]);
        }

        return FederationAssembler.Assemble(DatasetName, LearningTask.Survival, sites, standardization == Standardization.Pooled ? Standardization.Pooled : Standardization.None);
    }

    private static ValidatedTable Read(DataContract contract, string path, ProblemCollector problems) =>
        ContractValidator.Validate(contract, CsvFileReader.Read(path, contract.HasHeader, contract.Delimiter, problems), problems);

    private static Dictionary<string, string> Regions(ValidatedTable centers)
    {
        int code = centers.Contract.IndexOf("TSS Code");
        int region = centers.Contract.IndexOf("Region");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int row = 0; row < centers.RowCount; row++)
        {
            result[centers.GetText(row, code)!] = centers.GetText(row, region)!; // Neither column may be missing.
        }

        return result;
    }

    private static Dictionary<string, SplitEntry> Folds(ValidatedTable split)
    {
        int pid = split.Contract.IndexOf("pid");
        int fold = split.Contract.IndexOf("fold");
        int fold2 = split.Contract.IndexOf("fold2");
        var result = new Dictionary<string, SplitEntry>(StringComparer.Ordinal);
        for (int row = 0; row < split.RowCount; row++)
        {
            _ = SplitFolds.TryParse(split.GetText(row, fold)!, out bool isTest); // The contract admits only train and test.
            result[split.GetText(row, pid)!] = new SplitEntry(split.Line(row), isTest, split.GetText(row, fold2)!);
        }

        return result;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private sealed record SplitEntry(int Line, bool IsTest, string Fold2);
}
