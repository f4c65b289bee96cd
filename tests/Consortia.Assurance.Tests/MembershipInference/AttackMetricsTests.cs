using Consortia.Assurance.MembershipInference;
using Consortia.Learning;

namespace Consortia.Assurance.Tests.MembershipInference;

public sealed class AttackMetricsTests
{
    [Fact]
    public void RocAuc_SeparatedScores_IsOneOrZero()
    {
        Assert.Equal(1.0, AttackMetrics.RocAuc([3, 4, 5], [0, 1, 2]));
        Assert.Equal(0.0, AttackMetrics.RocAuc([0, 1, 2], [3, 4, 5]));
    }

    [Fact]
    public void RocAuc_AllTied_IsHalf()
    {
        Assert.Equal(0.5, AttackMetrics.RocAuc([1, 1], [1, 1, 1]));
    }

    [Fact]
    public void RocAuc_HandCountedTies_CountHalf()
    {
        // Pairs (member, non-member): (1,2)=0 (1,0)=1 (2,2)=½ (2,0)=1 (2,2)=½ (2,0)=1 → 4 of 6.
        Assert.Equal(4.0 / 6.0, AttackMetrics.RocAuc([1, 2, 2], [2, 0]), 15);
    }

    [Fact]
    public void RocAuc_RandomScoresWithManyTies_EqualsPairwiseCount()
    {
        var random = new RandomSource(7);
        for (int trial = 0; trial < 50; trial++)
        {
            double[] members = Draw(random, 1 + random.NextInt(40));
            double[] nonMembers = Draw(random, 1 + random.NextInt(40));
            double wins = 0;
            foreach (double m in members)
            {
                foreach (double n in nonMembers)
                {
                    wins += m > n ? 1 : m == n ? 0.5 : 0;
                }
            }

            Assert.Equal(wins / (members.Length * nonMembers.Length), AttackMetrics.RocAuc(members, nonMembers), 12);
        }
    }

    [Fact]
    public void TruePositiveRateAt_OnePercent_UsesSecondHighestNonMemberAsThreshold()
    {
        double[] nonMembers = [.. Enumerable.Range(0, 100).Select(i => (double)i)];

        // ⌊0.01·100⌋ = 1 non-member may be flagged: threshold 98, flagged when strictly above.
        Assert.Equal(2.0 / 4.0, AttackMetrics.TruePositiveRateAt([98.5, 99.5, 50, 98], nonMembers, 0.01));
    }

    [Fact]
    public void TruePositiveRateAt_FewNonMembers_MeasuresAtZeroFalsePositives()
    {
        Assert.Equal(1.0 / 3.0, AttackMetrics.TruePositiveRateAt([5, 3, 1], [0, 2, 4], 0.01));
    }

    [Fact]
    public void TruePositiveRateAt_TiesAtThreshold_AreNotFlagged()
    {
        Assert.Equal(0.0, AttackMetrics.TruePositiveRateAt([1, 1], [1, 1, 1], 0.01));
    }

    [Fact]
    public void RocAuc_EmptyOrNaN_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => AttackMetrics.RocAuc([], [1]));
        Assert.Throws<ArgumentException>(() => AttackMetrics.RocAuc([double.NaN], [1]));
        Assert.Throws<ArgumentException>(() => AttackMetrics.TruePositiveRateAt([1], [1], 1.5));
    }

    private static double[] Draw(RandomSource random, int count)
    {
        double[] values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = random.NextInt(6); // few distinct values, so ties are common
        }

        return values;
    }
}
