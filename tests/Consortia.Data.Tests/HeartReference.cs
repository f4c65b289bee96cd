using System.Globalization;

namespace Consortia.Data.Tests;

/// <summary>
/// An independent, test-side reading of the shipped Fed-Heart-Disease files: the split file's rows and the
/// 13 FLamby features of a UCI line computed by hand, to check the loader against.
/// </summary>
internal static class HeartReference
{
    public static string Directory => RepositoryRoot.Combine("data", "fed-heart-disease");

    public static IReadOnlyList<SplitRow> ReadSplit()
    {
        string[] lines = File.ReadAllLines(System.IO.Path.Combine(Directory, "flamby_split.csv"));
        Assert.Equal("center_name,center,line,kept_index,fold", lines[0]);
        return [.. lines.Skip(1).Select(l => l.Split(',')).Select(f => new SplitRow(f[0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture), f[4]))];
    }

    public static string[] DataLines(string center) => File.ReadAllLines(System.IO.Path.Combine(Directory, $"processed.{center}.data"));

    /// <summary>The 13 features (age, sex, trestbps, chol, fbs, thalach, exang, oldpeak, cp_2, cp_3, cp_4, restecg_1, restecg_2) and label of a UCI line.</summary>
    public static (double[] Features, double Label) Parse(string line)
    {
        // slope, ca and thal (fields 10-12) may be '?' in kept rows: FLamby drops those columns first.
        double[] v = [.. line.Split(',').Select(f => f == "?" ? double.NaN : double.Parse(f, CultureInfo.InvariantCulture))];
        double cp = v[2];
        double restecg = v[6];
        double[] features = [v[0], v[1], v[3], v[4], v[5], v[7], v[8], v[9], cp == 2 ? 1 : 0, cp == 3 ? 1 : 0, cp == 4 ? 1 : 0, restecg == 1 ? 1 : 0, restecg == 2 ? 1 : 0];
        return (features, v[13] == 0 ? 0 : 1);
    }

    public static Dictionary<string, double[]> ReadStatistics(string stat)
    {
        string[] lines = File.ReadAllLines(System.IO.Path.Combine(Directory, "flamby_train_stats.csv"));
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (string[] fields in lines.Skip(1).Select(l => l.Split(',')).Where(f => f[1] == stat))
        {
            result[fields[0]] = [.. fields.Skip(2).Select(f => double.Parse(f, CultureInfo.InvariantCulture))];
        }

        return result;
    }

    public static string[] StatisticsHeader() =>
        [.. File.ReadLines(System.IO.Path.Combine(Directory, "flamby_train_stats.csv")).First().Split(',').Skip(2)];

    public sealed record SplitRow(string CenterName, int Center, int Line, int KeptIndex, string Fold);
}
