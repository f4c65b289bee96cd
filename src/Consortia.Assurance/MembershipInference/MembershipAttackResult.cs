namespace Consortia.Assurance.MembershipInference;

/// <summary>The outcome of a membership-inference attack.</summary>
/// <param name="Auc">The attack's exact ROC-AUC (0.5: no better than a coin).</param>
/// <param name="TprAtOnePercentFpr">The share of members caught while flagging at most 1 % of non-members.</param>
/// <param name="MemberScores">The attack score of each member (higher: more likely a member).</param>
/// <param name="NonMemberScores">The attack score of each non-member.</param>
public sealed record MembershipAttackResult(double Auc, double TprAtOnePercentFpr, double[] MemberScores, double[] NonMemberScores)
{
    /// <summary>Scores both sides and computes the metrics.</summary>
    /// <param name="memberScores">Scores of the members.</param>
    /// <param name="nonMemberScores">Scores of the non-members.</param>
    /// <returns>The result.</returns>
    public static MembershipAttackResult FromScores(double[] memberScores, double[] nonMemberScores) =>
        new(
            AttackMetrics.RocAuc(memberScores, nonMemberScores),
            AttackMetrics.TruePositiveRateAt(memberScores, nonMemberScores, 0.01),
            memberScores,
            nonMemberScores);

    /// <summary>Splits one score per record by known membership and computes the metrics.</summary>
    /// <param name="scores">One score per record.</param>
    /// <param name="isMember">Whether each record was in the target's training set.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static MembershipAttackResult FromScores(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isMember)
    {
        if (scores.Length != isMember.Length)
        {
            throw new ArgumentException($"Expected {scores.Length} membership flags, got {isMember.Length}.", nameof(isMember));
        }

        var members = new List<double>();
        var nonMembers = new List<double>();
        for (int i = 0; i < scores.Length; i++)
        {
            (isMember[i] ? members : nonMembers).Add(scores[i]);
        }

        return FromScores([.. members], [.. nonMembers]);
    }
}
