using Consortia.Learning.Metrics;
using FsCheck.Xunit;

namespace Consortia.Learning.Tests.Metrics;

public sealed class SurvivalMetricsTests
{
    // Six subjects with a tied event/censoring time at 2 and at 4 (hand-worked in the tests below):
    //   A t=1 event risk .9 | B t=2 censored .5 | C t=2 event .8 | D t=3 event .5 | E t=4 censored .2 | F t=4 event .7
    private static readonly float[] s_times = [1f, 2f, 2f, 3f, 4f, 4f];
    private static readonly float[] s_events = [1f, 0f, 1f, 1f, 0f, 1f];

    [Fact]
    public void Concordance_HandWorkedExampleWithTiedTimes_MatchesLifelines()
    {
        float[] risks = [0.9f, 0.5f, 0.8f, 0.5f, 0.2f, 0.7f];

        ConcordanceCounts counts = SurvivalMetrics.Concordance(s_times, s_events, risks);

        // Comparable: A with B..F (5); C before censored B at the same time (1); C with D, E, F (3); D with E, F (2);
        // F before censored E at the same time (1) = 12. Only D (.5) vs F (.7) is discordant.
        // lifelines.utils.concordance_index(T, -risks, E) = 11/12.
        Assert.Equal(new ConcordanceCounts(11, 0, 12), counts);
        Assert.Equal(11.0 / 12.0, counts.Index, 1e-12);
    }

    [Fact]
    public void ConcordanceIndex_TiedRisks_CountHalf()
    {
        // D's risk now equals F's: their pair is tied, so (11 + ½) / 12.
        float[] risks = [0.9f, 0.5f, 0.8f, 0.7f, 0.2f, 0.7f];

        double cIndex = SurvivalMetrics.ConcordanceIndex(s_times, s_events, risks);

        Assert.Equal(11.5 / 12.0, cIndex, 1e-12);
        Assert.Equal(new ConcordanceCounts(11, 1, 12), SurvivalMetrics.Concordance(s_times, s_events, risks));
    }

    [Fact]
    public void Concordance_TwoEventsAtSameTime_AreNotComparable()
    {
        ConcordanceCounts counts = SurvivalMetrics.Concordance([3f, 3f], [1f, 1f], [0.1f, 0.9f]);

        Assert.Equal(0, counts.ComparablePairs);
        Assert.True(double.IsNaN(counts.Index));
    }

    [Fact]
    public void Concordance_EventAfterCensoring_IsNotComparable()
    {
        // Censored at 1, event at 2: unknown which came first. Event at 1, censored at 2: comparable.
        ConcordanceCounts notComparable = SurvivalMetrics.Concordance([1f, 2f], [0f, 1f], [0.1f, 0.9f]);
        ConcordanceCounts comparable = SurvivalMetrics.Concordance([1f, 2f], [1f, 0f], [0.1f, 0.9f]);

        Assert.Equal(new ConcordanceCounts(0, 0, 0), notComparable);
        Assert.Equal(new ConcordanceCounts(0, 0, 1), comparable);
    }

    [Fact]
    public void ConcordanceIndex_AllCensored_IsNaN()
    {
        double cIndex = SurvivalMetrics.ConcordanceIndex([1f, 2f, 3f], [0f, 0f, 0f], [0.3f, 0.2f, 0.1f]);

        Assert.True(double.IsNaN(cIndex));
    }

    [Fact]
    public void ConcordanceIndex_RiskDecreasingWithTime_IsOne()
    {
        double cIndex = SurvivalMetrics.ConcordanceIndex([1f, 2f, 3f, 4f, 5f], [1f, 1f, 0f, 1f, 0f], [5f, 4f, 3f, 2f, 1f]);

        Assert.Equal(1.0, cIndex);
    }

    [Fact]
    public void ConcordanceIndex_RiskIncreasingWithTime_IsZero()
    {
        double cIndex = SurvivalMetrics.ConcordanceIndex([1f, 2f, 3f, 4f, 5f], [1f, 1f, 0f, 1f, 0f], [1f, 2f, 3f, 4f, 5f]);

        Assert.Equal(0.0, cIndex);
    }

    [Fact]
    public void ConcordanceIndex_ConstantRisk_IsOneHalf()
    {
        double cIndex = SurvivalMetrics.ConcordanceIndex(s_times, s_events, [1f, 1f, 1f, 1f, 1f, 1f]);

        Assert.Equal(0.5, cIndex);
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(314159,271829)")]
    public void Concordance_AnySample_EqualsLifelinesPairCounting(SurvivalSample sample)
    {
        (long concordant, long tied, long pairs) = ReferenceMetrics.PairwiseConcordance(sample.Times, sample.Events, sample.Risks);

        ConcordanceCounts counts = SurvivalMetrics.Concordance(sample.Times, sample.Events, sample.Risks);

        Assert.Equal(new ConcordanceCounts(concordant, tied, pairs), counts);
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(141421,173205)")]
    public void ConcordanceIndex_StrictlyIncreasingTransformOfRisks_IsUnchanged(SurvivalSample sample)
    {
        // The generator's risks lie in [−100, 100] on a 0.001 grid; x ↦ x³ + x keeps them distinct and ordered.
        float[] transformed = sample.Risks.Select(r => (float)((double)r * r * r + r)).ToArray();

        ConcordanceCounts original = SurvivalMetrics.Concordance(sample.Times, sample.Events, sample.Risks);
        ConcordanceCounts after = SurvivalMetrics.Concordance(sample.Times, sample.Events, transformed);

        Assert.Equal(original, after);
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(223606,244949)")]
    public void ConcordanceIndex_NegatedRisks_IsComplement(SurvivalSample sample)
    {
        float[] negated = sample.Risks.Select(r => -r).ToArray();

        double original = SurvivalMetrics.ConcordanceIndex(sample.Times, sample.Events, sample.Risks);
        double flipped = SurvivalMetrics.ConcordanceIndex(sample.Times, sample.Events, negated);

        if (double.IsNaN(original))
        {
            Assert.True(double.IsNaN(flipped));
        }
        else
        {
            Assert.Equal(1.0 - original, flipped, 1e-12);
        }
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 50, Replay = "(264575,282843)")]
    public void Concordance_SubjectsShuffled_IsUnchanged(SurvivalSample sample)
    {
        int[] order = Enumerable.Range(0, sample.Times.Length).ToArray();
        new RandomSource((ulong)sample.Times.Length).Shuffle(order.AsSpan());

        ConcordanceCounts original = SurvivalMetrics.Concordance(sample.Times, sample.Events, sample.Risks);
        ConcordanceCounts shuffled = SurvivalMetrics.Concordance(
            order.Select(i => sample.Times[i]).ToArray(),
            order.Select(i => sample.Events[i]).ToArray(),
            order.Select(i => sample.Risks[i]).ToArray());

        Assert.Equal(original, shuffled);
    }

    [Fact]
    public void Concordance_LargeSeededSampleWithTies_MatchesPairCounting()
    {
        RandomSource random = new(42);
        const int n = 3000;
        float[] times = new float[n], events = new float[n], risks = new float[n];
        for (int i = 0; i < n; i++)
        {
            risks[i] = MathF.Round((float)random.NextGaussian(), 1);
            // Higher risk shortens the time; times rounded to whole units, so many are tied.
            times[i] = MathF.Round((float)(-Math.Log(1 - random.NextDouble()) * 10 * Math.Exp(-risks[i])));
            events[i] = random.NextDouble() < 0.7 ? 1f : 0f;
        }

        (long concordant, long tied, long pairs) = ReferenceMetrics.PairwiseConcordance(times, events, risks);

        ConcordanceCounts counts = SurvivalMetrics.Concordance(times, events, risks);

        Assert.Equal(new ConcordanceCounts(concordant, tied, pairs), counts);
        Assert.InRange(counts.Index, 0.6, 0.9);
    }

    [Fact]
    public void Concordance_NonBinaryEvent_ThrowsNamingTheIndex()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => SurvivalMetrics.Concordance([1f, 2f], [1f, 2f], [0f, 0f]));

        Assert.Contains("events[1] is 2; expected 0 or 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Concordance_NaNTime_Throws()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => SurvivalMetrics.Concordance([float.NaN, 2f], [1f, 1f], [0f, 0f]));

        Assert.Contains("times[0] is NaN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Concordance_RiskLengthMismatch_Throws()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => SurvivalMetrics.Concordance([1f, 2f], [1f, 1f], [0f]));

        Assert.Equal("riskScores", error.ParamName);
    }

    [Fact]
    public void ConcordanceCounts_SummedAcrossGroups_GiveWithinGroupIndex()
    {
        ConcordanceCounts siteA = SurvivalMetrics.Concordance([1f, 2f], [1f, 1f], [2f, 1f]);
        ConcordanceCounts siteB = SurvivalMetrics.Concordance([1f, 2f], [1f, 1f], [1f, 2f]);

        ConcordanceCounts pooled = new(siteA.Concordant + siteB.Concordant, siteA.TiedRisk + siteB.TiedRisk, siteA.ComparablePairs + siteB.ComparablePairs);

        Assert.Equal(0.5, pooled.Index);
    }
}
