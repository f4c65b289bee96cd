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
    public void Wilson_NoTrials_IsUndefined() => Assert.True(double.IsNaN(Interval.Wilson(0, 0).Value));
}
