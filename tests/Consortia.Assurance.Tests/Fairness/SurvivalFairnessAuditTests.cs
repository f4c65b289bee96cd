using Consortia.Assurance.Fairness;
using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.Data.Flamby;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;
using Consortia.TestKit;

namespace Consortia.Assurance.Tests.Fairness;

public sealed class SurvivalFairnessAuditTests(ITestOutputHelper output)
{
    private static readonly Lazy<FederatedDataset> s_tcga = new(() => FlambyTcgaBrca.Load(RepositoryPaths.Combine("data", "fed-tcga-brca")));

    internal static readonly SensitiveVariable AgeBand = new("age_band", "age_at_index",
        [new SensitiveGroup("<50", null, double.NegativeInfinity, 50), new SensitiveGroup("50-65", null, 50, 65), new SensitiveGroup(">=65", null, 65, double.PositiveInfinity)]);

    [Fact]
    public void RunSurvival_TcgaByAgeBand_FederatedCIndexEqualsPooledAndSmallSiteCellsStayHome()
    {
        FederatedDataset tcga = s_tcga.Value;
        (ModelSpec spec, float[] parameters) = TrainPooledCox(tcga);
        FairnessAudit audit = new([AgeBand], [.. tcga.Sites.Select(s => s.Name)]);
        List<SiteFairnessCounts> sent = [];

        SurvivalAuditResult result = FederatedFairnessAudit.RunSurvival(audit, tcga.Sites, spec, parameters, _ => 10, new RecordingChannel(sent));

        foreach (SurvivalGroupFairness g in result.Report.Groups)
        {
            output.WriteLine($"{g.Attribute,-9} {g.Group,-10} n={g.N,4} events={g.Events,3} sites={g.Sites} pairs={g.ComparablePairs,6} C={g.CIndex.Value:F4} [{g.CIndex.Lower:F3}, {g.CIndex.Upper:F3}]");
        }

        output.WriteLine($"pooled check {result.Pooled.MaxAbsDiff:E2} over {result.Pooled.Compared}; stratified vs all-pairs C-index differ by at most {result.Pooled.CrossSiteMaxAbsDiff:F4}");
        Assert.InRange(result.Pooled.MaxAbsDiff, 0, 1e-9);
        Assert.Equal((6 + 3) * 4, result.Pooled.Compared);
        Assert.True(result.Pooled.CrossSiteMaxAbsDiff > 0, "pooling across sites forms other pairs, so the all-pairs index differs somewhere");

        // Canada's test part has 11 records: every age band there is under 10, so it releases none and sends zeros.
        SiteData canada = tcga.Sites.MinBy(s => s.Test.Count)!;
        Assert.Equal(11, canada.Test.Count);
        Assert.Equal(3, result.Withheld[canada.Name].Count(c => c.Attribute == "age_band"));
        SiteFairnessCounts fromCanada = sent.Single(s => s.Site == canada.Name);
        int firstAgeCell = audit.Layout.Cells.IndexOf(new FairnessCell("age_band", "<50"));
        Assert.All(fromCanada.Counts.Skip(firstAgeCell * SurvivalFairnessCounts.BlockLength), c => Assert.Equal(0, c));
        long released = result.Report.Groups.Where(g => g.Attribute == "age_band").Sum(g => g.N);
        Assert.True(released <= tcga.Sites.Sum(s => s.Test.Count) - canada.Test.Count);
        AttributeGaps gaps = result.Report.Gaps.Single(g => g.Attribute == "age_band");
        SurvivalGroupFairness[] bands = [.. result.Report.Groups.Where(g => g.Attribute == "age_band" && !double.IsNaN(g.CIndex.Value))];
        Assert.Equal(bands.Max(b => b.CIndex.Value) - bands.Min(b => b.CIndex.Value), gaps["c_index"].Gap.Value, 12);
        Assert.True(gaps["c_index"].Gap.Lower < gaps["c_index"].Gap.Value && gaps["c_index"].Gap.Value < gaps["c_index"].Gap.Upper);
    }

    [Fact]
    public void Compute_HandCountedPairs_AreWithinSiteAndGroup()
    {
        SensitiveVariable sex = FederatedFairnessAuditTests.Sex;
        FairnessAudit audit = new([sex], ["a", "b"]);
        // Times 1..4, events at 1 and 3; risks 4,3,1,2. Pairs (event first): (1,2) (1,3) (1,4) concordant (4>3,1,2);
        // (3,4): risk 1 < 2, discordant. Women are records 0 and 1: one pair (1,2), concordant.
        float[] risk = [4, 3, 1, 2], times = [1, 2, 3, 4], events = [1, 0, 1, 0];

        SiteFairnessCounts counts = SurvivalFairnessCounts.Compute(audit, "a", risk, times, events, [[0, 0, 1, 1]], minimumCellCount: 2);
        SurvivalFairnessReport report = SurvivalFairnessReport.FromCounts(audit, [.. counts.Counts]);

        SurvivalGroupFairness site = report.Groups[0], women = report.Groups[2], men = report.Groups[3];
        Assert.Equal((4L, 2L, 1, 4L, 0.75), (site.N, site.Events, site.Sites, site.ComparablePairs, site.CIndex.Value));
        Assert.Equal((2L, 1L, 1L, 1.0), (women.N, women.Events, women.ComparablePairs, women.CIndex.Value));
        Assert.Equal((2L, 1L, 1L, 0.0), (men.N, men.Events, men.ComparablePairs, men.CIndex.Value));
        Assert.Equal(0, report.Groups[1].N); // site b's cell: none of site a's records
        Assert.Equal(SurvivalMetrics.ConcordanceIndex(times, events, risk), site.CIndex.Value);
    }

    private static (ModelSpec Spec, float[] Parameters) TrainPooledCox(FederatedDataset data)
    {
        Dataset train = data.Pooled.Train;
        ModelSpec spec = new(ModelKind.CoxPh, train.FeatureCount, []);
        LocalTrainer trainer = new(spec, 32);
        float[] parameters = new float[trainer.Model.Layout.Length];
        trainer.Model.Initialize(parameters, new RandomSource(7));
        trainer.Train(parameters, train, new LocalTrainingOptions
        {
            BatchSize = 32,
            LocalSteps = 200,
            Optimizer = new OptimizerOptions { Kind = OptimizerKind.Sgd, LearningRate = 0.05f },
        }, new RandomSource(9));
        return (spec, parameters);
    }

    private sealed class RecordingChannel(List<SiteFairnessCounts> inputs) : IFairnessCountChannel
    {
        public long[] Sum(IReadOnlyList<SiteFairnessCounts> sites)
        {
            inputs.AddRange(sites);
            return new PlainCountChannel().Sum(sites);
        }
    }
}
