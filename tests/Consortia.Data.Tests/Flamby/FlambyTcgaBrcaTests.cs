using System.Globalization;
using Consortia.Data.Flamby;
using Consortia.Data.Preprocessing;
using Consortia.Learning;

namespace Consortia.Data.Tests.Flamby;

public sealed class FlambyTcgaBrcaTests
{
    private static string DataDirectory => RepositoryRoot.Combine("data", "fed-tcga-brca");

    [Fact]
    public void Load_ShippedData_HasFlambyCountsPerCenter()
    {
        FederatedDataset data = FlambyTcgaBrca.Load(DataDirectory);

        Assert.Equal("fed-tcga-brca", data.Name);
        Assert.Equal(LearningTask.Survival, data.Task);
        Assert.Equal(["Northeast", "South", "West", "Midwest", "Europe", "Canada"], data.Sites.Select(s => s.Name));
        Assert.Equal([248, 156, 164, 129, 129, 40], data.Sites.Select(s => s.Train.Count));
        Assert.Equal([63, 40, 42, 33, 33, 11], data.Sites.Select(s => s.Test.Count));
        Assert.Equal(866, data.Pooled.Train.Count);
        Assert.Equal(222, data.Pooled.Test.Count);
    }

    [Fact]
    public void Load_ShippedData_HasReadmeEventCounts()
    {
        FederatedDataset data = FlambyTcgaBrca.Load(DataDirectory);

        Assert.Equal([45, 35, 14, 16, 7, 2], data.Sites.Select(s => Events(s.Train)));
        Assert.Equal([14, 4, 8, 3, 2, 1], data.Sites.Select(s => Events(s.Test)));
    }

    [Fact]
    public void Load_ShippedData_Has39UnscaledFeaturesInFileOrder()
    {
        string[] header = ReadBrca().Header;

        FederatedDataset data = FlambyTcgaBrca.Load(DataDirectory);

        Assert.Equal(header[1..40], data.Pooled.Train.FeatureNames);
        Assert.Equal(39, data.Pooled.Train.FeatureCount);
        Assert.All(data.Sites.Append(data.Pooled), s => Assert.Null(s.Statistics));
        Assert.True(data.Pooled.Train.HasTimes);
    }

    [Fact]
    public void Load_PerSiteOption_StillUnscaledAsFlamby()
    {
        var options = new DataSourceOptions { Format = DataFormat.FlambyTcgaBrca, Path = DataDirectory, Standardization = Standardization.PerSite };

        FederatedDataset data = FederatedDataLoader.Load(options, RepositoryRoot.Path);

        Assert.All(data.Sites, s => Assert.Null(s.Statistics));
    }

    [Fact]
    public void Load_PooledOption_StandardisesWithTrainingRowsOnly()
    {
        FederatedDataset raw = FlambyTcgaBrca.Load(DataDirectory);
        var options = new DataSourceOptions { Format = DataFormat.FlambyTcgaBrca, Path = DataDirectory, Standardization = Standardization.Pooled };

        FederatedDataset data = FederatedDataLoader.Load(options, RepositoryRoot.Path);

        // Same rows, same split; the statistics are the pooled training part's (866 rows), shared by every site.
        Assert.Equal(raw.Sites.Select(s => (s.Train.Count, s.Test.Count)), data.Sites.Select(s => (s.Train.Count, s.Test.Count)));
        StandardizationStatistics statistics = Assert.IsType<StandardizationStatistics>(data.Sites[0].Statistics);
        Assert.All(data.Sites, s => Assert.Same(statistics, s.Statistics));
        Assert.Equal(866, statistics.SampleCount);
        double[] ages = [.. raw.Sites.SelectMany(s => Enumerable.Range(0, s.Train.Count).Select(i => (double)s.Train.Row(i)[0]))];
        double mean = ages.Average();
        Assert.Equal(mean, statistics.Means[0], 1e-6);
        Assert.InRange(statistics.StandardDeviations[0], 5, 20); // age in years
        double[] scaled = [.. data.Sites.SelectMany(s => Enumerable.Range(0, s.Train.Count).Select(i => (double)s.Train.Row(i)[0]))];
        Assert.Equal(0, scaled.Average(), 1e-4);
        Assert.Equal(1, Math.Sqrt(scaled.Sum(x => x * x) / (scaled.Length - 1)), 1e-3);
        // Test rows are transformed with the training statistics, not their own.
        float rawAge = raw.Sites[5].Test.Row(0)[0];
        Assert.Equal((rawAge - statistics.Means[0]) / (statistics.StandardDeviations[0] + StandardizationStatistics.Epsilon), data.Sites[5].Test.Row(0)[0], 1e-4);
        Assert.Equal(raw.Sites[5].Test.Times.ToArray(), data.Sites[5].Test.Times.ToArray());
    }

    [Fact]
    public void Load_ShippedData_MembershipEqualsSplitFile()
    {
        (string[] _, Dictionary<string, string[]> rows, List<string> order) = ReadBrca();
        Dictionary<string, string> fold2 = File.ReadAllLines(Path.Combine(DataDirectory, "train_test_split.csv"))
            .Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => f[2], StringComparer.Ordinal);

        FederatedDataset data = FlambyTcgaBrca.Load(DataDirectory);

        for (int c = 0; c < 6; c++)
        {
            foreach ((string fold, Dataset part) in new[] { ("train", data.Sites[c].Train), ("test", data.Sites[c].Test) })
            {
                string key = string.Create(CultureInfo.InvariantCulture, $"{fold}_{c}");
                string[] expected = [.. order.Where(pid => fold2.TryGetValue(pid, out string? f) && f == key)];
                Assert.Equal(expected.Length, part.Count);
                for (int i = 0; i < expected.Length; i++)
                {
                    string[] fields = rows[expected[i]];
                    float[] features = [.. fields[1..40].Select(v => float.Parse(v, CultureInfo.InvariantCulture))];
                    Assert.Equal(features, part.Row(i).ToArray());
                    Assert.Equal(float.Parse(fields[40], CultureInfo.InvariantCulture), part.Labels[i]);
                    Assert.Equal(float.Parse(fields[41], CultureInfo.InvariantCulture), part.Times[i]);
                }
            }
        }
    }

    [Fact]
    public void Load_SplitFoldDisagreesWithRegion_ReportsSplitLine()
    {
        using TempDirectory temp = Copy();
        string split = Path.Combine(temp.Path, "train_test_split.csv");
        string[] lines = File.ReadAllLines(split);
        Assert.EndsWith(",train,train_0", lines[1], StringComparison.Ordinal);
        lines[1] = lines[1].Replace("train_0", "train_3", StringComparison.Ordinal);
        File.WriteAllLines(split, lines);

        DataValidationException error = Assert.Throws<DataValidationException>(() => FlambyTcgaBrca.Load(temp.Path));

        DataProblem problem = Assert.Single(error.Problems);
        Assert.Equal((split, 2, "fold2"), (problem.File, problem.Line, problem.Column));
        Assert.Contains("expected train_0", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PatientMissingFromSplit_ReportsDataLine()
    {
        using TempDirectory temp = Copy();
        string split = Path.Combine(temp.Path, "train_test_split.csv");
        string[] lines = File.ReadAllLines(split);
        string pid = lines[1].Split(',')[0];
        File.WriteAllLines(split, lines.Where((_, i) => i != 1));
        string brca = Path.Combine(temp.Path, "brca.csv");
        int line = Array.FindIndex(File.ReadAllLines(brca), l => l.StartsWith(pid + ",", StringComparison.Ordinal)) + 1;

        DataValidationException error = Assert.Throws<DataValidationException>(() => FlambyTcgaBrca.Load(temp.Path));

        DataProblem problem = Assert.Single(error.Problems);
        Assert.Equal((brca, line, "pid"), (problem.File, problem.Line, problem.Column));
    }

    [Fact]
    public void Load_NegativeTimeAndBadEvent_ReportsEachWithColumn()
    {
        using TempDirectory temp = Copy();
        string brca = Path.Combine(temp.Path, "brca.csv");
        string[] lines = File.ReadAllLines(brca);
        lines[1] = lines[1][..lines[1].LastIndexOf(',')] + ",-5.0";
        lines[2] = lines[2][..lines[2].LastIndexOf(',', lines[2].LastIndexOf(',') - 1)] + ",2.0,677.0";
        File.WriteAllLines(brca, lines);

        DataValidationException error = Assert.Throws<DataValidationException>(() => FlambyTcgaBrca.Load(temp.Path));

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Line == 2 && p.Column == "T" && p.Message.Contains("below the minimum 0", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Line == 3 && p.Column == "E" && p.Message.Contains("not 0 or 1", StringComparison.Ordinal));
    }

    private static int Events(Dataset data) => data.Labels.ToArray().Count(e => e == 1f);

    private static TempDirectory Copy()
    {
        var temp = new TempDirectory();
        foreach (string file in Directory.GetFiles(DataDirectory))
        {
            File.Copy(file, Path.Combine(temp.Path, Path.GetFileName(file)));
        }

        return temp;
    }

    /// <summary>Reads brca.csv by hand: two header names are quoted (they contain a comma), no value is.</summary>
    private static (string[] Header, Dictionary<string, string[]> Rows, List<string> Order) ReadBrca()
    {
        string[] lines = File.ReadAllLines(Path.Combine(DataDirectory, "brca.csv"));
        var header = new List<string>();
        var name = new System.Text.StringBuilder();
        bool inQuotes = false;
        foreach (char ch in lines[0])
        {
            if (ch == '"')
            {
                inQuotes = !inQuotes;
            }
            else if (ch == ',' && !inQuotes)
            {
                header.Add(name.ToString());
                name.Clear();
            }
            else
            {
                name.Append(ch);
            }
        }

        header.Add(name.ToString());
        var rows = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (string line in lines.Skip(1))
        {
            string[] fields = line.Split(',');
            Assert.Equal(header.Count, fields.Length);
            rows[fields[0]] = fields;
            order.Add(fields[0]);
        }

        return ([.. header], rows, order);
    }
}
