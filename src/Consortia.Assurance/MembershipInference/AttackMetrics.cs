namespace Consortia.Assurance.MembershipInference;

/// <summary>How well a membership score separates members from non-members.</summary>
/// <remarks>
/// Scores are oriented so that a higher score means "more likely a member". The ROC-AUC is the
/// Mann–Whitney statistic: the probability that a random member outscores a random non-member, ties
/// counting ½, so it is exact (no curve interpolation) and 0.5 means the attack learns nothing.
/// </remarks>
public static class AttackMetrics
{
    /// <summary>The exact ROC-AUC of the scores, ties counted as ½.</summary>
    /// <param name="memberScores">Scores of records that were in the training set.</param>
    /// <param name="nonMemberScores">Scores of records that were not.</param>
    /// <returns>P(member score &gt; non-member score) + ½·P(equal), in [0, 1].</returns>
    /// <exception cref="ArgumentException">Either side is empty or holds a NaN.</exception>
    public static double RocAuc(ReadOnlySpan<double> memberScores, ReadOnlySpan<double> nonMemberScores)
    {
        CheckScores(memberScores, nameof(memberScores));
        CheckScores(nonMemberScores, nameof(nonMemberScores));
        int m = memberScores.Length;
        int n = nonMemberScores.Length;

        // Rank-sum form in O((m+n) log(m+n)): sort all scores, give each run of equal scores the mean of its
        // ranks (this is what counts a tie as ½), and U = R_members − m(m+1)/2.
        var all = new (double Score, bool Member)[m + n];
        for (int i = 0; i < m; i++)
        {
            all[i] = (memberScores[i], true);
        }

        for (int j = 0; j < n; j++)
        {
            all[m + j] = (nonMemberScores[j], false);
        }

        Array.Sort(all, static (a, b) => a.Score.CompareTo(b.Score));
        double memberRankSum = 0;
        int start = 0;
        while (start < all.Length)
        {
            int end = start + 1;
            while (end < all.Length && all[end].Score == all[start].Score)
            {
                end++;
            }

            // Ranks start+1 … end (1-based); their mean is (start + 1 + end) / 2.
            double meanRank = (start + 1 + end) / 2.0;
            for (int k = start; k < end; k++)
            {
                if (all[k].Member)
                {
                    memberRankSum += meanRank;
                }
            }

            start = end;
        }

        double u = memberRankSum - (m * (m + 1.0) / 2.0);
        return u / ((double)m * n);
    }

    /// <summary>
    /// The share of members flagged when the threshold is set so that at most
    /// <paramref name="falsePositiveRate"/> of the non-members are flagged.
    /// </summary>
    /// <param name="memberScores">Scores of records that were in the training set.</param>
    /// <param name="nonMemberScores">Scores of records that were not.</param>
    /// <param name="falsePositiveRate">The largest allowed false-positive rate, e.g. 0.01.</param>
    /// <returns>The true-positive rate in [0, 1].</returns>
    /// <remarks>
    /// A record is flagged when its score is strictly above the threshold. With k = ⌊fpr·n⌋ the threshold is
    /// the (k+1)-th highest non-member score, so at most k non-members are flagged, also under ties (a tie at
    /// the threshold is not flagged: conservative). With fewer than 1/fpr non-members k is 0 and the rate
    /// is measured at FPR 0.
    /// </remarks>
    /// <exception cref="ArgumentException">A side is empty or holds a NaN, or the rate is outside [0, 1].</exception>
    public static double TruePositiveRateAt(ReadOnlySpan<double> memberScores, ReadOnlySpan<double> nonMemberScores, double falsePositiveRate)
    {
        CheckScores(memberScores, nameof(memberScores));
        CheckScores(nonMemberScores, nameof(nonMemberScores));
        if (!(falsePositiveRate >= 0 && falsePositiveRate <= 1))
        {
            throw new ArgumentException($"Expected a false-positive rate in [0, 1], got {falsePositiveRate}.", nameof(falsePositiveRate));
        }

        int n = nonMemberScores.Length;
        int allowed = (int)Math.Floor(falsePositiveRate * n);
        if (allowed >= n)
        {
            return 1.0;
        }

        double[] sorted = nonMemberScores.ToArray();
        Array.Sort(sorted);
        double threshold = sorted[n - 1 - allowed]; // the (allowed+1)-th highest
        int flagged = 0;
        foreach (double s in memberScores)
        {
            if (s > threshold)
            {
                flagged++;
            }
        }

        return flagged / (double)memberScores.Length;
    }

    private static void CheckScores(ReadOnlySpan<double> scores, string name)
    {
        if (scores.IsEmpty)
        {
            throw new ArgumentException("Expected at least one score.", name);
        }

        foreach (double s in scores)
        {
            if (double.IsNaN(s))
            {
                throw new ArgumentException("A score is NaN.", name);
            }
        }
    }
}
