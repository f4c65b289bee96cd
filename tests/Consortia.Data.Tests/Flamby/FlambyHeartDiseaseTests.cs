using Consortia.Data.Flamby;
using Consortia.Data.Preprocessing;
using Consortia.Learning;

namespace Consortia.Data.Tests.Flamby;

public sealed class FlambyHeartDiseaseTests
{
    private const double Tolerance = 1e-6;

    private static readonly string[] s_statisticsSubsets = ["center0_train", "center1_train", "center2_train", "center3_train"];

    [Fact]
    public void Load_ShippedData_HasFlambyCountsPerCenter()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory);

        Assert.Equal("fed-heart-disease", data.Name);
        Assert.Equal(LearningTask.BinaryClassification, data.Task);
        Assert.Equal(["cleveland", "hungarian", "switzerland", "va"], data.Sites.Select(s => s.Name));
        Assert.Equal([199, 172, 30, 85], data.Sites.Select(s => s.Train.Count));
        Assert.Equal([104, 89, 16, 45], data.Sites.Select(s => s.Test.Count));
        Assert.Equal(486, data.Pooled.Train.Count);
        Assert.Equal(254, data.Pooled.Test.Count);
    }

    [Fact]
    public void Load_ShippedData_HasReadmePositiveCounts()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory);

        Assert.Equal([91, 65, 30, 66], data.Sites.Select(s => Positives(s.Train)));
        Assert.Equal([48, 33, 15, 35], data.Sites.Select(s => Positives(s.Test)));
        Assert.Equal(252, Positives(data.Pooled.Train));
        Assert.Equal(131, Positives(data.Pooled.Test));
    }

    [Fact]
    public void Load_ShippedData_FeatureOrderIsFlambys()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory);

        string[] expected = ["age", "sex", "trestbps", "chol", "fbs", "thalach", "exang", "oldpeak", "cp_2", "cp_3", "cp_4", "restecg_1", "restecg_2"];
        Assert.Equal(expected, FlambyHeartDisease.FeatureNames);
        Assert.All(data.Sites.Append(data.Pooled), site =>
        {
            Assert.Equal(expected, site.Train.FeatureNames);
            Assert.Equal(expected, site.Test.FeatureNames);
            Assert.False(site.Train.HasTimes);
        });
        Assert.Equal(expected, HeartReference.StatisticsHeader());
    }

    [Fact]
    public void Load_PerSite_StatisticsEqualFlambyTrainStats()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory, Standardization.PerSite);
        Dictionary<string, double[]> means = HeartReference.ReadStatistics("mean");
        Dictionary<string, double[]> stds = HeartReference.ReadStatistics("std_unbiased");

        for (int c = 0; c < 4; c++)
        {
            StandardizationStatistics statistics = data.Sites[c].Statistics!;
            AssertClose(means[s_statisticsSubsets[c]], statistics.Means);
            AssertClose(stds[s_statisticsSubsets[c]], statistics.StandardDeviations);
            Assert.Equal(data.Sites[c].Train.Count, statistics.SampleCount);
        }

        AssertClose(means["pooled_train"], data.Pooled.Statistics!.Means);
        AssertClose(stds["pooled_train"], data.Pooled.Statistics.StandardDeviations);
    }

    [Fact]
    public void Load_Pooled_EverySiteUsesPooledTrainStats()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory, Standardization.Pooled);
        double[] pooledMeans = HeartReference.ReadStatistics("mean")["pooled_train"];

        Assert.All(data.Sites, site => AssertClose(pooledMeans, site.Statistics!.Means));
    }

    [Fact]
    public void Load_None_FeaturesAreRawAndUnscaled()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory, Standardization.None);

        Assert.All(data.Sites, site => Assert.Null(site.Statistics));
        Assert.Null(data.Pooled.Statistics);
        Assert.Equal(63f, data.Sites[0].Train.Row(0)[0]); // Cleveland line 1 starts with age 63.0.
    }

    [Fact]
    public void Load_PerSite_TrainFeaturesAreStandardisedWithSiteStats()
    {
        FederatedDataset raw = FlambyHeartDisease.Load(HeartReference.Directory, Standardization.None);
        FederatedDataset scaled = FlambyHeartDisease.Load(HeartReference.Directory, Standardization.PerSite);

        for (int c = 0; c < 4; c++)
        {
            StandardizationStatistics statistics = scaled.Sites[c].Statistics!;
            foreach ((Dataset rawPart, Dataset scaledPart) in new[] { (raw.Sites[c].Train, scaled.Sites[c].Train), (raw.Sites[c].Test, scaled.Sites[c].Test) })
            {
                for (int i = 0; i < rawPart.Features.Length; i++)
                {
                    int j = i % 13;
                    double expected = (rawPart.Features[i] - statistics.Means[j]) / (statistics.StandardDeviations[j] + 1e-9);
                    Assert.Equal(expected, scaledPart.Features[i], 1e-4);
                }
            }
        }
    }

    [Fact]
    public void Load_PerSite_TrainColumnsHaveZeroMeanAndUnitStd()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory);

        StandardizationStatistics cleveland = StandardizationStatistics.Compute(data.Sites[0].Train);

        Assert.All(cleveland.Means, m => Assert.Equal(0.0, m, 1e-5));
        Assert.All(cleveland.StandardDeviations, s => Assert.Equal(1.0, s, 1e-5));
    }

    [Fact]
    public void Load_Switzerland_CholesterolBecomesZero()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory);
        SiteData switzerland = data.Sites[2];
        int chol = 3;

        Assert.Equal(0.0, switzerland.Statistics!.StandardDeviations[chol]);
        Assert.All(Column(switzerland.Train, chol), v => Assert.Equal(0f, v));
        Assert.All(Column(switzerland.Test, chol), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Load_ShippedData_MembershipEqualsSplitFile()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory, Standardization.None);
        IReadOnlyList<HeartReference.SplitRow> split = HeartReference.ReadSplit();

        for (int c = 0; c < 4; c++)
        {
            string center = FlambyHeartDisease.CenterNames[c];
            string[] lines = HeartReference.DataLines(center);
            foreach ((string fold, Dataset part) in new[] { ("train", data.Sites[c].Train), ("test", data.Sites[c].Test) })
            {
                HeartReference.SplitRow[] expected = [.. split.Where(r => r.CenterName == center && r.Fold == fold)];
                Assert.Equal(expected.Length, part.Count);
                for (int i = 0; i < expected.Length; i++)
                {
                    (double[] features, double label) = HeartReference.Parse(lines[expected[i].Line - 1]);
                    Assert.Equal([.. features.Select(f => (float)f)], part.Row(i).ToArray());
                    Assert.Equal((float)label, part.Labels[i]);
                }
            }
        }
    }

    [Fact]
    public void Load_ShippedData_PooledIsSitesInOrder()
    {
        FederatedDataset data = FlambyHeartDisease.Load(HeartReference.Directory, Standardization.None);

        Dataset expectedTrain = Dataset.Concat([.. data.Sites.Select(s => s.Train)]);
        Dataset expectedTest = Dataset.Concat([.. data.Sites.Select(s => s.Test)]);

        Assert.Equal(expectedTrain.Features.ToArray(), data.Pooled.Train.Features.ToArray());
        Assert.Equal(expectedTrain.Labels.ToArray(), data.Pooled.Train.Labels.ToArray());
        Assert.Equal(expectedTest.Features.ToArray(), data.Pooled.Test.Features.ToArray());
    }

    [Fact]
    public void Load_SplitFileWithMovedRow_ReportsSplitLine()
    {
        using var temp = CopyHeart();
        string splitPath = Path.Combine(temp.Path, "flamby_split.csv");
        string[] lines = File.ReadAllLines(splitPath);
        lines[2] = lines[2].Replace("cleveland,0,2,1,", "cleveland,0,2,7,", StringComparison.Ordinal); // Wrong kept_index.
        lines[5] = "hungarian,1,1,0,train"; // Cleveland's line 5 disappears, Hungary's line 1 is listed twice.
        File.WriteAllLines(splitPath, lines);

        DataValidationException error = Assert.Throws<DataValidationException>(() => FlambyHeartDisease.Load(temp.Path));

        Assert.Contains(error.Problems, p => p.File == splitPath && p.Line == 3 && p.Column == "kept_index");
        Assert.Contains(error.Problems, p => p.File.EndsWith("processed.cleveland.data", StringComparison.Ordinal) && p.Line == 5);
        Assert.Contains(error.Problems, p => p.File == splitPath && p.Column == "line" && p.Message.Contains("twice", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_DataFileWithOutOfRangeAge_ReportsFileLineAndColumn()
    {
        using var temp = CopyHeart();
        string path = Path.Combine(temp.Path, "processed.va.data");
        string[] lines = File.ReadAllLines(path);
        lines[9] = "230" + lines[9][lines[9].IndexOf(',', StringComparison.Ordinal)..];
        File.WriteAllLines(path, lines);

        DataValidationException error = Assert.Throws<DataValidationException>(() => FlambyHeartDisease.Load(temp.Path));

        DataProblem problem = Assert.Single(error.Problems);
        Assert.Equal((path, 10, "age"), (problem.File, problem.Line, problem.Column));
        Assert.Contains("above the maximum 100", problem.Message, StringComparison.Ordinal);
        Assert.Contains($"{path}:10 column 'age'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingDirectory_ThrowsConfigurationError()
    {
        using var temp = new TempDirectory();

        DataConfigurationException error = Assert.Throws<DataConfigurationException>(() => FlambyHeartDisease.Load(Path.Combine(temp.Path, "nope")));

        Assert.Equal("Path", error.Field);
    }

    private static TempDirectory CopyHeart()
    {
        var temp = new TempDirectory();
        foreach (string file in Directory.GetFiles(HeartReference.Directory))
        {
            File.Copy(file, Path.Combine(temp.Path, Path.GetFileName(file)));
        }

        return temp;
    }

    private static int Positives(Dataset data) => data.Labels.ToArray().Count(l => l == 1f);

    private static float[] Column(Dataset data, int column) => [.. Enumerable.Range(0, data.Count).Select(r => data.Row(r)[column])];

    private static void AssertClose(double[] expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int j = 0; j < expected.Length; j++)
        {
            Assert.True(Math.Abs(expected[j] - actual[j]) <= Tolerance, $"Feature {j}: expected {expected[j]:R}, got {actual[j]:R}.");
        }
    }
}
