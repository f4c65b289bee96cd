using System.Globalization;
using Consortia.Data;
using Consortia.Data.Exploration;
using Consortia.Federation.Exploration;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Exploration;

public sealed class FederatedExplorationTests
{
    private static readonly ExplorationOptions s_options = new();

    [Fact]
    public void Coded_missing_glucose_and_an_age_split_are_both_warned_about_by_site_feature_and_number()
    {
        using var files = new ExplorationFiles();
        ExplorationReport report = FederatedExploration.Explore(JobFile.Load(files.Job), s_options);

        Assert.True(report.SecureAggregation);
        ExplorationWarning coded = Assert.Single(report.Warnings, w => w.Kind == ExplorationWarningKind.CodedMissing);
        Assert.Equal(("south", "glucose"), (coded.Site, coded.Feature));
        Assert.Equal(0.1, coded.Value, 3); // every tenth row of south
        Assert.Contains("south", coded.Message, StringComparison.Ordinal);

        ExplorationWarning[] age = [.. report.Warnings.Where(w => w.Feature == "age")];
        // The outer sites lie entirely below or above the rest: a shift by both measures.
        foreach (string site in new[] { "north", "south" })
        {
            Assert.Contains(age, w => w.Site == site && w.Kind == ExplorationWarningKind.DistributionShift && w.Value >= s_options.ShiftDistance);
        }

        // Every site's ages barely overlap the others' (central's mean equals the rest's, so only the overlap shows it).
        foreach (string site in new[] { "north", "central", "south" })
        {
            Assert.Contains(age, w => w.Site == site && w.Kind == ExplorationWarningKind.NoOverlap && w.Value < s_options.MinimumOverlap);
        }
        Assert.DoesNotContain(report.Warnings, w => w.Feature is "glucose" or "bmi" && w.Kind != ExplorationWarningKind.CodedMissing);
        Assert.DoesNotContain(report.Warnings, w => w.Kind == ExplorationWarningKind.NearlyConstantLabel);
    }

    [Fact]
    public void Combined_figures_equal_the_pooled_computation()
    {
        using var files = new ExplorationFiles(minCellCount: 1);
        JobDefinition job = JobFile.Load(files.Job);
        IReadOnlyList<RawSiteTable> tables = RawSiteLoader.Load(job.Data, files.Folder);
        ExplorationReport report = FederatedExploration.Explore(job, tables, site => SimulatedSites.PolicyFor(job, site), s_options);

        for (int f = 0; f < tables[0].Features.Count; f++)
        {
            double[] all = [.. tables.SelectMany(t => t.Features[f].Values)];
            double[] present = [.. all.Where(v => !double.IsNaN(v))];
            FeatureExploration feature = report.Features[f];
            FeatureFigures combined = feature.Combined;
            Assert.Equal(present.Length, combined.Count);
            Assert.Equal(all.Length - present.Length, combined.Missing);
            Assert.Equal(present.Count(v => v == 0), combined.Zeros);
            double mean = present.Average();
            double sd = Math.Sqrt(present.Sum(v => (v - mean) * (v - mean)) / (present.Length - 1));
            double unit = (feature.Grid.Upper - feature.Grid.Lower) / (1 << 20); // the sums' fixed-point resolution
            Assert.InRange(Math.Abs(combined.Mean!.Value - mean), 0, unit);
            Assert.InRange(Math.Abs(combined.StandardDeviation!.Value - sd), 0, 1e-3 * sd);
            long[] pooledHistogram = new long[feature.Grid.Bins];
            foreach (double v in present)
            {
                pooledHistogram[feature.Grid.BinOf(v)]++;
            }

            Assert.Equal(pooledHistogram, combined.Histogram);
            Assert.Equal(0, combined.SuppressedCells);

            // Quantiles from the summed histogram are within one bin width of the pooled data's.
            double[] sorted = [.. present.Order()];
            foreach (Quantile q in combined.Quantiles)
            {
                double exact = sorted[(int)Math.Floor(q.Probability * (sorted.Length - 1))];
                Assert.InRange(Math.Abs(q.Value - exact), 0, feature.Grid.Width);
            }
        }

        double[] labels = [.. tables.SelectMany(t => t.Labels)];
        Assert.Equal(labels.Count(l => l == 1), report.CombinedLabels.Positive);
        Assert.Equal(labels.Count(l => l == 0), report.CombinedLabels.Negative);
    }

    [Fact]
    public void A_bin_below_the_minimum_cell_count_never_leaves_the_site()
    {
        using var files = new ExplorationFiles(rowsPerSite: 60, minCellCount: 5);
        JobDefinition job = JobFile.Load(files.Job);
        IReadOnlyList<RawSiteTable> tables = RawSiteLoader.Load(job.Data, files.Folder);
        var sent = new Dictionary<string, IReadOnlyList<long>>();
        ExplorationReport report = FederatedExploration.Explore(job, tables, site => SimulatedSites.PolicyFor(job, site), s_options, (site, vector) => sent[site] = vector);

        int glucose = report.Features.ToList().FindIndex(f => f.Name == "glucose");
        FeatureGrid grid = report.Features[glucose].Grid;
        int small = 0;
        for (int s = 0; s < tables.Count; s++)
        {
            long[] local = new long[grid.Bins];
            foreach (double v in tables[s].Features[glucose].Values.Where(v => !double.IsNaN(v)))
            {
                local[grid.BinOf(v)]++;
            }

            FeatureFigures released = report.Features[glucose].Sites[s]!;
            for (int b = 0; b < grid.Bins; b++)
            {
                if (local[b] is > 0 and < 5)
                {
                    small++;
                    Assert.Equal(0, released.Histogram[b]);
                }
                else
                {
                    Assert.Equal(local[b], released.Histogram[b]);
                }
            }

            // What left the site: its histogram slots hold only zeros or counts of at least 5.
            Assert.Equal(released.Histogram, Histogram(sent[tables[s].Site], report, glucose));
            Assert.All(Histogram(sent[tables[s].Site], report, glucose), c => Assert.True(c == 0 || c >= 5, string.Create(CultureInfo.InvariantCulture, $"count {c} left the site")));
        }

        Assert.True(small > 0, "the seeded table must have some bins below the minimum cell count for this test to mean anything");
        Assert.True(report.Features[glucose].Combined.SuppressedCells >= small);
    }

    [Fact]
    public void With_secure_aggregation_and_masked_only_policies_no_per_site_figures_are_released()
    {
        using var files = new ExplorationFiles(plainUpdates: false);
        ExplorationReport report = FederatedExploration.Explore(JobFile.Load(files.Job), s_options);

        Assert.All(report.Sites, s => Assert.True(s.Contributed && !s.Released));
        Assert.All(report.Features, f => Assert.All(f.Sites, Assert.Null));
        Assert.Equal(600, report.Features[0].Combined.Count);
        Assert.Empty(report.Warnings); // warnings name a site, so they need its released figures
    }

    [Fact]
    public void Without_secure_aggregation_a_masked_only_site_refuses_and_says_why()
    {
        using var files = new ExplorationFiles(secure: false, plainUpdates: false);
        ExplorationException error = Assert.Throws<ExplorationException>(() => FederatedExploration.Explore(JobFile.Load(files.Job), s_options));
        Assert.Contains("plain_updates", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_breaking_the_contract_is_reported_with_file_line_and_column()
    {
        using var files = new ExplorationFiles();
        string[] lines = File.ReadAllLines(files.Csv);
        lines[4] = "north,41.0,abc,25.0,1";
        File.WriteAllLines(files.Csv, lines);

        DataValidationException error = Assert.Throws<DataValidationException>(() => FederatedExploration.Explore(JobFile.Load(files.Job), s_options));
        DataProblem problem = Assert.Single(error.Problems);
        Assert.Equal((files.Csv, 5, "glucose"), (problem.File, problem.Line, problem.Column));
    }

    [Fact]
    public void A_site_column_that_is_not_a_site_is_named()
    {
        using var files = new ExplorationFiles();
        File.WriteAllText(files.Job, File.ReadAllText(files.Job).Replace("site_column: clinic", "site_column: age", StringComparison.Ordinal));

        DataConfigurationException error = Assert.Throws<DataConfigurationException>(() => FederatedExploration.Explore(JobFile.Load(files.Job), s_options));
        Assert.Contains("'age'", error.Message, StringComparison.Ordinal);
        Assert.Contains("SiteColumn", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nearly_constant_label_at_a_site_is_warned_about()
    {
        using var files = new ExplorationFiles(secure: false);
        string[] lines = File.ReadAllLines(files.Csv);
        File.WriteAllLines(files.Csv, lines.Select((l, i) => i > 0 && l.StartsWith("north,", StringComparison.Ordinal) && i % 50 != 0 ? l[..^1] + "0" : l));

        ExplorationReport report = FederatedExploration.Explore(JobFile.Load(files.Job), s_options);

        ExplorationWarning warning = Assert.Single(report.Warnings, w => w.Kind == ExplorationWarningKind.NearlyConstantLabel);
        Assert.Equal("north", warning.Site);
        Assert.True(warning.Value < 0.05);
    }

    private static long[] Histogram(IReadOnlyList<long> vector, ExplorationReport report, int feature)
    {
        int offset = report.Features.Take(feature).Sum(f => 12 + f.Grid.Bins) + 12;
        return [.. vector.Skip(offset).Take(report.Features[feature].Grid.Bins)];
    }
}
