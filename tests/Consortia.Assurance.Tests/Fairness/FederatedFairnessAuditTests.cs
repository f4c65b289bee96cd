using System.Collections.Immutable;
using Consortia.Assurance.Fairness;
using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;

namespace Consortia.Assurance.Tests.Fairness;

public sealed class FederatedFairnessAuditTests(ITestOutputHelper output)
{
    internal static readonly SensitiveVariable Sex = new("sex", "sex",
        [new SensitiveGroup("female", 0, double.NegativeInfinity, double.PositiveInfinity), new SensitiveGroup("male", 1, double.NegativeInfinity, double.PositiveInfinity)]);

    internal static readonly SensitiveVariable AgeBand = new("age_band", "age",
        [new SensitiveGroup("<55", null, double.NegativeInfinity, 55), new SensitiveGroup("55-65", null, 55, 65), new SensitiveGroup(">=65", null, 65, double.PositiveInfinity)]);

    [Fact]
    public void Run_HeartBySexAndAge_FederatedCountsEqualPooledMetrics()
    {
        FederatedDataset heart = HeartData.Federation;
        (ModelSpec spec, float[] parameters) = TrainPooled(heart);
        FairnessAudit audit = new([Sex, AgeBand], [.. heart.Sites.Select(s => s.Name)]);

        FairnessAuditResult result = FederatedFairnessAudit.Run(audit, heart.Sites, spec, parameters, _ => 1, new PlainCountChannel());

        output.WriteLine($"pooled check: max |diff| {result.Pooled.MaxAbsDiff:E2} over {result.Pooled.Compared} numbers; AUC resolution cost {result.Pooled.AucResolutionMaxAbsDiff:E2}");
        Assert.InRange(result.Pooled.MaxAbsDiff, 0, 1e-9);
        Assert.Equal(9 * 7, result.Pooled.Compared); // 4 sites + 2 sexes + 3 age bands, each n and six metrics
        GroupFairness female = result.Report.Groups.Single(g => g.Group == "female");
        GroupFairness male = result.Report.Groups.Single(g => g.Group == "male");
        Assert.Equal(heart.Sites.Sum(s => s.Test.Count), female.N + male.N);
        Assert.True(female.Accuracy.Lower < female.Accuracy.Value && female.Accuracy.Value < female.Accuracy.Upper);
        AttributeGaps sex = result.Report.Gaps.Single(g => g.Attribute == "sex");
        Assert.Equal(Math.Abs(female.Tpr.Value - male.Tpr.Value), sex["tpr"].Gap.Value, 12);
        Assert.Equal(Math.Max(sex["tpr"].Gap.Value, sex["fpr"].Gap.Value), sex["equalised_odds"].Gap.Value, 12);
        Assert.Equal(Math.Abs(female.PositiveRate.Value - male.PositiveRate.Value), sex["demographic_parity"].Gap.Value, 12);
    }

    [Fact]
    public void Run_GroupBelowMinimumCellCount_ItsCountsNeverLeaveTheSite()
    {
        FederatedDataset heart = HeartData.Federation;
        (ModelSpec spec, float[] parameters) = TrainPooled(heart);
        FairnessAudit audit = new([Sex], [.. heart.Sites.Select(s => s.Name)]);
        // Pick the site with the fewest women in its test part and a minimum cell count just above that number.
        var women = heart.Sites.Select(s => (Site: s.Name, Count: SiteFairnessCounts.GroupsOf([Sex], s, s.Test)[0].Count(g => g == 0))).ToArray();
        (string smallSite, int fewest) = women.MinBy(w => w.Count);
        int minimum = fewest + 1;
        Assert.True(women.Count(w => w.Count >= minimum) >= 2, "the test needs other sites that release the cell");
        RecordingChannel channel = new();

        FairnessAuditResult result = FederatedFairnessAudit.Run(audit, heart.Sites, spec, parameters, _ => minimum, channel);

        int femaleCell = audit.Layout.Cells.IndexOf(new FairnessCell("sex", "female"));
        SiteFairnessCounts sent = channel.Inputs.Single(i => i.Site == smallSite);
        Assert.All(sent.Counts.Skip(femaleCell * FairnessCountLayout.BlockLength).Take(FairnessCountLayout.BlockLength), c => Assert.Equal(0, c));
        Assert.Contains(new FairnessCell("sex", "female"), result.Withheld[smallSite]);
        GroupFairness female = result.Report.Groups[femaleCell];
        Assert.Equal(women.Where(w => w.Count >= minimum).Sum(w => w.Count), female.N);
        Assert.Equal(women.Count(w => w.Count >= minimum), female.Sites);
        Assert.InRange(result.Pooled.MaxAbsDiff, 0, 1e-9); // the pooled check leaves the withheld records out as well
        output.WriteLine($"{smallSite} has {fewest} women in its test part; with minimum cell count {minimum} it sends zeros for them; the report counts {female.N} women from {female.Sites} sites");
    }

    [Fact]
    public void Compute_SiteCells_OnlyTheSitesOwnCellCarriesData()
    {
        FairnessAudit audit = new([Sex], ["a", "b"]);
        float[] p = [0.9f, 0.2f, 0.6f, 0.4f];
        float[] y = [1, 0, 0, 1];
        SiteFairnessCounts counts = SiteFairnessCounts.Compute(audit, "b", p, y, [[0, 0, 1, 1]], minimumCellCount: 2);

        Assert.All(counts.Counts.Take(FairnessCountLayout.BlockLength), c => Assert.Equal(0, c)); // site a's cell
        FairnessReport report = FairnessReport.FromCounts(audit, [.. counts.Counts]);
        GroupFairness b = report.Groups[1];
        Assert.Equal((4L, 2L, 1), (b.N, b.Positives, b.Sites));
        Assert.Equal(0.5, b.Accuracy.Value); // 0.9→1 ✓, 0.2→0 ✓, 0.6→1 ✗, 0.4→0 ✗
        Assert.Equal(0.5, b.Tpr.Value);
        Assert.Equal(0.5, b.Fpr.Value);
        Assert.Equal(0.75, b.Auc.Value); // pairs (0.9,0.2) (0.9,0.6) (0.4,0.2) win, (0.4,0.6) loses
    }

    [Fact]
    public void Compute_RecordInNoDeclaredGroup_IsRejectedNamingSiteAndColumn()
    {
        FederatedDataset heart = HeartData.Federation;
        SensitiveVariable onlyWomen = new("sex", "sex", [new SensitiveGroup("female", 0, double.NegativeInfinity, double.PositiveInfinity)]);
        SiteData site = heart.Sites[0];

        ArgumentException error = Assert.Throws<ArgumentException>(() => SiteFairnessCounts.GroupsOf([onlyWomen], site, site.Test));

        Assert.Contains($"Site '{site.Name}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("column 'sex'", error.Message, StringComparison.Ordinal);
    }

    internal static (ModelSpec Spec, float[] Parameters) TrainPooled(FederatedDataset data)
    {
        Dataset train = data.Pooled.Train;
        ModelSpec spec = new(ModelKind.Logistic, train.FeatureCount, []);
        LocalTrainer trainer = new(spec, 16);
        float[] parameters = new float[trainer.Model.Layout.Length];
        trainer.Model.Initialize(parameters, new RandomSource(7));
        trainer.Train(parameters, train, new LocalTrainingOptions
        {
            BatchSize = 16,
            LocalSteps = 300,
            Optimizer = new OptimizerOptions { Kind = OptimizerKind.Sgd, LearningRate = 0.05f },
        }, new RandomSource(9));
        return (spec, parameters);
    }

    private sealed class RecordingChannel : IFairnessCountChannel
    {
        public List<SiteFairnessCounts> Inputs { get; } = [];

        public long[] Sum(IReadOnlyList<SiteFairnessCounts> sites)
        {
            Inputs.AddRange(sites);
            return new PlainCountChannel().Sum(sites);
        }
    }
}
