using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Tuning;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Tuning;

public sealed class FederatedCrossValidationTests
{
    private const float TestMark = 1e6f;

    [Theory]
    [InlineData(5, 3, 42UL)]
    [InlineData(3, 2, 7UL)]
    [InlineData(2, 4, 0UL)]
    public void RepeatedFolds_UseTrainingRowsOnly_EachHeldOutOncePerRepeat(int folds, int repeats, ulong seed)
    {
        FederatedDataset data = WithMarkedTestRows(Some.ClassificationFederation(sites: 3, seed: 5));

        IReadOnlyList<FederatedDataset> splits = FederatedCrossValidation.RepeatedFolds(data, folds, repeats, seed);

        Assert.Equal(folds * repeats, splits.Count);
        foreach (FederatedDataset split in splits)
        {
            // No test row (every feature TestMark) reaches any part of any fold, pooled included.
            Assert.All(split.Sites.Append(split.Pooled), site =>
            {
                Assert.DoesNotContain(TestMark, site.Train.Features.ToArray());
                Assert.DoesNotContain(TestMark, site.Test.Features.ToArray());
            });
        }

        for (int r = 0; r < repeats; r++)
        {
            for (int s = 0; s < data.Sites.Count; s++)
            {
                Dataset train = data.Sites[s].Train;
                // Within one repeat the held-out folds partition the site's training rows...
                float[] heldOut = [.. Enumerable.Range(0, folds).SelectMany(f => Keys(splits[(r * folds) + f].Sites[s].Test))];
                Assert.Equal(Keys(train).Order(), heldOut.Order());
                // ...and each fold trains on exactly the other rows.
                for (int f = 0; f < folds; f++)
                {
                    SiteData fold = splits[(r * folds) + f].Sites[s];
                    Assert.Equal(train.Count, fold.Train.Count + fold.Test.Count);
                    Assert.Empty(Keys(fold.Train).Intersect(Keys(fold.Test)));
                }
            }
        }
    }

    [Fact]
    public void RepeatedFolds_RepeatZeroIsTheSingleSplit_OtherRepeatsDiffer()
    {
        FederatedDataset data = Some.ClassificationFederation(sites: 2, seed: 9);

        IReadOnlyList<FederatedDataset> repeated = FederatedCrossValidation.RepeatedFolds(data, 4, 2, 11);
        IReadOnlyList<FederatedDataset> single = FederatedCrossValidation.Folds(data, 4, 11);
        IReadOnlyList<FederatedDataset> second = FederatedCrossValidation.Folds(data, 4, 12);

        for (int f = 0; f < 4; f++)
        {
            Assert.Equal(Keys(single[f].Sites[0].Test), Keys(repeated[f].Sites[0].Test));
            Assert.Equal(Keys(second[f].Sites[1].Test), Keys(repeated[4 + f].Sites[1].Test));
        }

        Assert.NotEqual(Keys(repeated[0].Sites[0].Test), Keys(repeated[4].Sites[0].Test));
    }

    [Fact]
    public void Folds_AreStratifiedByLabel()
    {
        FederatedDataset data = Some.ClassificationFederation(sites: 2, seed: 3);

        IReadOnlyList<FederatedDataset> folds = FederatedCrossValidation.Folds(data, 5, 1);

        for (int s = 0; s < data.Sites.Count; s++)
        {
            int positives = data.Sites[s].Train.Labels.ToArray().Count(y => y == 1f);
            Assert.All(folds, fold => Assert.InRange(fold.Sites[s].Test.Labels.ToArray().Count(y => y == 1f), (positives / 5) - 1, (positives / 5) + 1));
        }
    }

    [Fact]
    public async Task RankAsync_TrainedCandidateBeatsUntrained_IsDeterministic_AndNeverReadsTestRows()
    {
        FederatedDataset data = WithMarkedTestRows(Some.ClassificationFederation(sites: 3, seed: 4));
        TuningCandidate untrained = Candidate("rounds=1", data, rounds: 1, learningRate: 1e-6f);
        TuningCandidate trained = Candidate("rounds=10", data, rounds: 10, learningRate: 0.1f);

        IReadOnlyList<CrossValidationResult> first = await FederatedCrossValidation.RankAsync([untrained, trained], 3, 2, 42, TimeProvider.System, TestContext.Current.CancellationToken);
        IReadOnlyList<CrossValidationResult> again = await FederatedCrossValidation.RankAsync([untrained, trained], 3, 2, 42, TimeProvider.System, TestContext.Current.CancellationToken);

        Assert.Equal("rounds=10", first[0].Settings[0].Value);
        Assert.True(first[0].Score > first[1].Score + 0.1, $"{first[0].Score} vs {first[1].Score}");
        Assert.All(first, r => Assert.Equal(6, r.FoldScores.Count));
        Assert.All(first, r => Assert.InRange(r.Score, 0, 1));
        Assert.All(first, r => Assert.True(r.StandardError >= 0));
        Assert.Equal(first.Select(r => r.Score), again.Select(r => r.Score));
    }

    [Fact]
    public async Task RankAsync_CandidatesOnDifferentRows_Refused()
    {
        TuningCandidate a = Candidate("a", Some.ClassificationFederation(sites: 3, seed: 1), rounds: 1, learningRate: 0.1f);
        TuningCandidate b = Candidate("b", Some.ClassificationFederation(sites: 3, seed: 2), rounds: 1, learningRate: 0.1f);

        await Assert.ThrowsAsync<ArgumentException>(() => FederatedCrossValidation.RankAsync([a, b], 3, 1, 42, TimeProvider.System, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void StandardError_IsSdOverSqrtCount()
    {
        CrossValidationResult result = new([], 0.5, [0.4, 0.6, 0.5, 0.5]);

        double sd = Math.Sqrt(((0.1 * 0.1) + (0.1 * 0.1)) / 3);
        Assert.Equal(sd / 2, result.StandardError, 1e-12);
    }

    private static TuningCandidate Candidate(string name, FederatedDataset data, int rounds, float learningRate) => new(
        [new("candidate", name)],
        new JobDefinition
        {
            Name = name,
            Seed = 1,
            Data = new DataSourceOptions { Format = DataFormat.FlambyHeartDisease, Path = "unused" },
            ModelKind = ModelKind.Logistic,
            Engine = new RoundEngineOptions { Rounds = rounds, EvaluateEvery = rounds },
            Strategy = new StrategySettings { Kind = StrategyKind.FedAvg },
            Training = new LocalTrainingOptions { BatchSize = 8, LocalSteps = 10, Optimizer = new() { Kind = OptimizerKind.Sgd, LearningRate = learningRate } },
        },
        data);

    /// <summary>Replaces every test row by a row whose features are all <see cref="TestMark"/>.</summary>
    private static FederatedDataset WithMarkedTestRows(FederatedDataset data)
    {
        List<SiteData> sites = [.. data.Sites.Select(s => new SiteData(
            s.Name,
            s.Train,
            new Dataset(s.Test.FeatureNames, [.. Enumerable.Repeat(TestMark, s.Test.Features.Length)], s.Test.Labels.ToArray())))];
        SiteData pooled = new("pooled", Dataset.Concat([.. sites.Select(s => s.Train)]), Dataset.Concat([.. sites.Select(s => s.Test)]));
        return new FederatedDataset(data.Name, data.Task, sites, pooled);
    }

    /// <summary>The first feature of each row, which identifies rows of the Gaussian synthetic data.</summary>
    private static float[] Keys(Dataset data) => [.. Enumerable.Range(0, data.Count).Select(i => data.Row(i)[0])];
}
