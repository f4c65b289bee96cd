namespace Consortia.Federation.Strategies;

/// <summary>Which sites evaluate the model.</summary>
/// <param name="Sites">The sites.</param>
public sealed record EvaluationPlan(IReadOnlyList<SiteId> Sites)
{
    /// <summary>Every site of the roster evaluates: the plan all built-in strategies use.</summary>
    /// <param name="input">The round input.</param>
    /// <returns>The plan.</returns>
    public static EvaluationPlan EverySite(RoundInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new EvaluationPlan(input.Roster);
    }
}
