using Consortia.Federation.Fairness;

namespace Consortia.Federation.Tests.Fairness;

/// <summary>
/// A site's checks of the summed (group, label) counts a coordinator sends for group reweighting: the coordinator is an
/// adversary, so any sum that cannot contain the site's counts, changes within a run, or would drop or multiply the
/// site's records beyond [1/20, 20] is refused, naming the rule.
/// </summary>
public sealed class ReweightingSumCheckTests
{
    // Two groups × two labels: (g0,y0), (g0,y1), (g1,y0), (g1,y1).
    private static readonly long[] s_own = [10, 5, 20, 15];
    private static readonly long[] s_sum = [40, 20, 60, 50];

    [Fact]
    public void AConsistentSum_OnFirstReceipt_Passes_AndItsWeightsAreTheKamiranCaldersOnes()
    {
        Assert.Null(ReweightingSumCheck.Problem(s_sum, s_own, s_own, pinned: null));
        Assert.Null(ReweightingSumCheck.Problem(s_sum, s_own, s_own, pinned: s_sum));

        // n = 170, n_g0 = 60, n_y1 = 70: w(g0, y1) = 60·70 / (170·20).
        Assert.Equal(60.0 * 70 / (170 * 20), GroupReweighting.Weights(s_sum)[1], 12);
    }

    [Fact]
    public void NoSum_ForAJobThatReweights_IsRefused()
    {
        (string rule, string reason) = Assert.NotNull(ReweightingSumCheck.Problem(null, s_own, s_own, null));
        Assert.Equal(ReweightingSumCheck.SumRule, rule);
        Assert.Contains("no summed counts", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { 40, 20, 60 }, "3 cells")]                  // wrong length
    [InlineData(new long[] { 40, 20, -60, 50 }, "cell 2")]             // negative
    [InlineData(new long[] { 40, 4, 60, 50 }, "cell 1")]               // smaller than the site's own count
    public void AnInconsistentSum_IsRefused_NamingTheSumRule(long[] sum, string names)
    {
        (string rule, string reason) = Assert.NotNull(ReweightingSumCheck.Problem(sum, s_own, s_own, null));
        Assert.Equal(ReweightingSumCheck.SumRule, rule);
        Assert.Contains(names, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ASumThatChangesWithinTheRun_IsRefused_NamingThePinRule()
    {
        long[] later = [41, 20, 60, 50]; // consistent on its own, but not the sum the site pinned
        Assert.Null(ReweightingSumCheck.Problem(later, s_own, s_own, null));

        (string rule, _) = Assert.NotNull(ReweightingSumCheck.Problem(later, s_own, s_own, pinned: s_sum));
        Assert.Equal(ReweightingSumCheck.PinRule, rule);
    }

    [Fact]
    public void ASumThatWouldMultiplyTheSitesRecordsBeyondTheBound_IsRefused_NamingTheWeightRule()
    {
        // The coordinator makes the site's (g0, y1) cell look tiny: its 5 records would be copied ~50 times.
        long[] blowUp = [10_000, 5, 20, 10_000];
        (string rule, string reason) = Assert.NotNull(ReweightingSumCheck.Problem(blowUp, s_own, s_own, null));
        Assert.Equal(ReweightingSumCheck.WeightRule, rule);
        Assert.Contains("cell 1", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ASumThatWouldDropACellTheSiteHolds_IsRefused_EvenWhenTheSiteReleasedItCleared()
    {
        // Plain counts: the site cleared its 3-record cell (below its minimum cell count) and released 0 there; a sum of
        // 0 for that cell is consistent, but its weight 0 would silently drop the site's 3 records.
        long[] released = [10, 0, 20, 15];
        long[] held = [10, 3, 20, 15];
        long[] sum = [40, 0, 60, 50];
        (string rule, string reason) = Assert.NotNull(ReweightingSumCheck.Problem(sum, released, held, null));
        Assert.Equal(ReweightingSumCheck.WeightRule, rule);
        Assert.Contains("cell 1", reason, StringComparison.Ordinal);

        // A cell the site holds no records of may have any weight.
        Assert.Null(ReweightingSumCheck.Problem(sum, [10, 0, 20, 15], [10, 0, 20, 15], null));
    }
}
