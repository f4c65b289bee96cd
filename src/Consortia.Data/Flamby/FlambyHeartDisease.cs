using System.Globalization;
using Consortia.Data.Contracts;
using Consortia.Data.Csv;
using Consortia.Data.Preprocessing;

namespace Consortia.Data.Flamby;

/// <summary>
/// Loads FLamby's Fed-Heart-Disease benchmark from the four UCI files and FLamby's split, preprocessed
/// exactly as FLamby does (see <c>data/fed-heart-disease/README.md</c>).
/// </summary>
/// <remarks>
/// Steps: validate each <c>processed.&lt;center&gt;.data</c> file against the contract
/// (<c>data/contracts/heart-disease-uci.yaml</c>); drop slope, ca and thal; drop every row that still has a
/// missing value (Cleveland 303, Hungary 261, Switzerland 46 and VA 130 rows remain); label
/// <c>num ≠ 0</c>; take train/test membership from <c>flamby_split.csv</c>, which is checked to cover
/// exactly the kept rows; one-hot encode cp and restecg without their first level, giving the 13 features
/// of <see cref="FeatureNames"/>; standardise as asked (FLamby: per center with its training statistics,
/// pooled data with the pooled training statistics).
/// </remarks>
public static class FlambyHeartDisease
{
    /// <summary>The dataset name.</summary>
    public const string DatasetName = "fed-heart-disease";

    /// <summary>The split file FLamby's train/test membership is read from.</summary>
    public const string SplitFileName = "flamby_split.csv";

    /// <summary>The centers in FLamby's order (0–3); the data file of center <c>c</c> is <c>processed.c.data</c>.</summary>
    public static IReadOnlyList<string> CenterNames { get; } = ["cleveland", "hungarian", "switzerland", "va"];

    /// <summary>The 13 model features, in FLamby's order.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } =
        ["age", "sex", "trestbps", "chol", "fbs", "thalach", "exang", "oldpeak", "cp_2", "cp_3", "cp_4", "restecg_1", "restecg_2"];

    /// <summary>Loads the benchmark from a directory holding the four UCI files and <see cref="SplitFileName"/>.</summary>
    /// <param name="directory">The dataset directory (<c>data/fed-heart-disease</c>).</param>
    /// <param name="standardization">How to standardise; FLamby uses <see cref="Standardization.PerSite"/>.</param>
    /// <param name="contract">A contract for the UCI files, or <see langword="null"/> for the shipped one.</param>
    /// <returns>Four sites and the pooled data, for binary classification.</returns>
    /// <exception cref="DataConfigurationException">A file is missing, or the contract cannot feed training.</exception>
    /// <exception cref="DataValidationException">A file breaks its contract, or the split does not match the kept rows.</exception>
    public static FederatedDataset Load(string directory, Standardization standardization = Standardization.PerSite, DataContract? contract = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new DataConfigurationException(directory, null, nameof(DataSourceOptions.Path), "the Fed-Heart-Disease directory does not exist.");
        }

        contract ??= ShippedContracts.Load(ShippedContracts.HeartDiseaseUci);
        if (contract.HasHeader)
        {
            throw new DataConfigurationException(contract.SourceFile ?? contract.Name, null, "header", "the UCI files have no header line; the contract must say header: false.");
        }

        FeatureEncoder.RequireTrainingRoles(contract);
        var encoder = FeatureEncoder.Create(contract);
        var problems = new ProblemCollector();

        var tables = new ValidatedTable[CenterNames.Count];
        for (int c = 0; c < CenterNames.Count; c++)
        {
            string path = Path.Combine(directory, $"processed.{CenterNames[c]}.data");
            CsvDocument document = CsvFileReader.Read(path, hasHeader: false, contract.Delimiter, problems);
            tables[c] = ContractValidator.Validate(contract, document, problems);
        }

        string splitPath = Path.Combine(directory, SplitFileName);
        DataContract splitContract = ShippedContracts.Load(ShippedContracts.HeartDiseaseSplit);
        ValidatedTable split = ContractValidator.Validate(splitContract, CsvFileReader.Read(splitPath, hasHeader: true, splitContract.Delimiter, problems), problems);
        problems.ThrowIfAny();

        var kept = new List<int>[CenterNames.Count];
        for (int c = 0; c < CenterNames.Count; c++)
        {
            kept[c] = KeptRows(tables[c]);
        }

        (int[] Train, int[] Test)[] folds = ReadSplit(split, tables, kept, problems);
        problems.ThrowIfAny();

        var sites = new RawSite[CenterNames.Count];
        for (int c = 0; c < CenterNames.Count; c++)
        {
            sites[c] = new RawSite(
                CenterNames[c],
                encoder.Encode(tables[c], kept[c]),
                FeatureEncoder.Labels(tables[c], kept[c]),
                Times: null,
                folds[c].Train,
                folds[c].Test);
        }

        return FederationAssembler.Assemble(DatasetName, LearningTask.BinaryClassification, sites, standardization);
    }

    /// <summary>FLamby's filter: after dropping the ignored columns, keep the rows without any missing value.</summary>
    private static List<int> KeptRows(ValidatedTable table)
    {
        var used = new List<int>();
        for (int c = 0; c < table.Contract.Columns.Count; c++)
        {
            if (table.Contract.Columns[c].Role != ColumnRole.Ignore)
            {
                used.Add(c);
            }
        }

        var kept = new List<int>(table.RowCount);
        for (int row = 0; row < table.RowCount; row++)
        {
            if (used.TrueForAll(c => !table.IsMissing(row, c)))
            {
                kept.Add(row);
            }
        }

        return kept;
    }

    private static (int[] Train, int[] Test)[] ReadSplit(ValidatedTable split, ValidatedTable[] tables, List<int>[] kept, ProblemCollector problems)
    {
        int centerName = split.Contract.IndexOf("center_name");
        int centerIndex = split.Contract.IndexOf("center");
        int lineColumn = split.Contract.IndexOf("line");
        int keptIndex = split.Contract.IndexOf("kept_index");
        int fold = split.Contract.IndexOf("fold");

        // Position among the kept rows, by line of the data file, per center.
        var positionOfLine = new Dictionary<int, int>[CenterNames.Count];
        var assigned = new int[CenterNames.Count][];
        for (int c = 0; c < CenterNames.Count; c++)
        {
            positionOfLine[c] = [];
            for (int k = 0; k < kept[c].Count; k++)
            {
                positionOfLine[c][tables[c].Line(kept[c][k])] = k;
            }

            assigned[c] = new int[kept[c].Count];
            Array.Fill(assigned[c], -1);
        }

        for (int r = 0; r < split.RowCount; r++)
        {
            int c = split.GetLevel(r, centerName);
            int at = split.Line(r);
            if (split.GetNumber(r, centerIndex) != c)
            {
                problems.Add(split.File, at, "center", string.Create(CultureInfo.InvariantCulture, $"center {split.GetNumber(r, centerIndex)} disagrees with center_name {CenterNames[c]}; expected {c}."));
                continue;
            }

            int line = (int)split.GetNumber(r, lineColumn);
            if (!positionOfLine[c].TryGetValue(line, out int position))
            {
                problems.Add(split.File, at, "line", string.Create(CultureInfo.InvariantCulture, $"line {line} of processed.{CenterNames[c]}.data is not a row FLamby keeps (it does not exist or has a missing value)."));
                continue;
            }

            if (split.GetNumber(r, keptIndex) != position)
            {
                problems.Add(split.File, at, "kept_index", string.Create(CultureInfo.InvariantCulture, $"expected {position}, the position of line {line} among the kept rows of {CenterNames[c]}."));
            }

            if (assigned[c][position] >= 0)
            {
                problems.Add(split.File, at, "line", string.Create(CultureInfo.InvariantCulture, $"line {line} of processed.{CenterNames[c]}.data is listed twice."));
                continue;
            }

            _ = SplitFolds.TryParse(split.GetText(r, fold)!, out bool isTest); // The contract admits only train and test.
            assigned[c][position] = isTest ? 1 : 0;
        }

        var folds = new (int[] Train, int[] Test)[CenterNames.Count];
        for (int c = 0; c < CenterNames.Count; c++)
        {
            var train = new List<int>();
            var test = new List<int>();
            for (int k = 0; k < assigned[c].Length; k++)
            {
                switch (assigned[c][k])
                {
                    case 0:
                        train.Add(k);
                        break;
                    case 1:
                        test.Add(k);
                        break;
                    default:
                        problems.Add(tables[c].File, tables[c].Line(kept[c][k]), string.Empty, $"the row is kept by FLamby's filter but has no fold in {SplitFileName}.");
                        break;
                }
            }

            folds[c] = ([.. train], [.. test]);
        }

        return folds;
    }
}
