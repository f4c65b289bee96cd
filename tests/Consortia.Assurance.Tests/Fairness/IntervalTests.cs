using Consortia.Assurance.Fairness;

namespace Consortia.Assurance.Tests.Fairness;

public sealed class IntervalTests
{
    [Fact]
    public void Wilson_EightOfTen_MatchesPublishedInterval()
    {
        // Newcombe (1998), Table I: 81/263 → 0.2553–0.3662; here the textbook 8/10 → 0.4902–0.9433.
        Interval i = Interval.Wilson(8, 10);

        Assert.Equal(0.8, i.Value, 12);
        Assert.Equal(0.4902, i.Lower, 4);
        Assert.Equal(0.9433, i.Upper, 4);
    }

    [Fact]
    public void NewcombeDifference_PublishedExample_MatchesMethod10()
    {
        // Newcombe (1998), example (a): 56/70 − 48/80 = 0.2000, hybrid score interval 0.0524 to 0.3339.
        Interval d = Interval.NewcombeDifference(Interval.Wilson(56, 70), Interval.Wilson(48, 80));

        Assert.Equal(0.2, d.Value, 12);
        Assert.Equal(0.0524, d.Lower, 4);
        Assert.Equal(0.3339, d.Upper, 4);
    }

    [Fact]
    public void HanleyMcNeil_NearOne_StaysInTheUnitInterval_AndKeepsItsStandardErrorForTheGap()
    {
        // Hanley & McNeil (1982), exponential approximation by hand: A = 0.97, 5 positives, 7 negatives.
        double q1 = 0.97 / 1.03, q2 = 2 * 0.97 * 0.97 / 1.97;
        double se = Math.Sqrt(((0.97 * 0.03) + (4 * (q1 - (0.97 * 0.97))) + (6 * (q2 - (0.97 * 0.97)))) / 35);

        Interval auc = Interval.HanleyMcNeil(0.97, 5, 7);
        Interval gap = Interval.WaldDifference(auc, Interval.HanleyMcNeil(0.70, 40, 60));

        Assert.True(0.97 + (Interval.Z95 * se) > 1, "the example must reach past 1 unclipped");
        Assert.Equal(1.0, auc.Upper);
        Assert.Equal(0.97 - (Interval.Z95 * se), auc.Lower, 12);
        double seOther = Interval.HanleyMcNeil(0.70, 40, 60).StandardError;
        Assert.Equal(0.27 + (Interval.Z95 * Math.Sqrt((se * se) + (seOther * seOther))), gap.Upper, 12); // unclipped se, not the clipped half-width
    }

    [Fact]
    public void Wilson_NoTrials_IsUndefined() => Assert.True(double.IsNaN(Interval.Wilson(0, 0).Value));
}
