namespace Consortia.Federation.RedTeam;

/// <summary>What one attack of the red team achieved.</summary>
/// <param name="Name">The attack's name (stable: <c>downgrade</c>, <c>repeated-round</c>, …).</param>
/// <param name="Prevented">Whether the sites stopped it: the attacker obtained nothing it should not have.</param>
/// <param name="Detail">What happened: the rule that stopped it, or what the attacker obtained and how exactly.</param>
public sealed record AttackOutcome(string Name, bool Prevented, string Detail);

/// <summary>The red team's findings against one configuration of the sites.</summary>
/// <param name="Mode"><c>protected</c> (the product as shipped) or <c>unprotected</c> (a weakened configuration that exists only for the red team).</param>
/// <param name="Attacks">Each attack's outcome, in the order run.</param>
public sealed record RedTeamReport(string Mode, IReadOnlyList<AttackOutcome> Attacks)
{
    /// <summary>Whether every attack was prevented.</summary>
    public bool AllPrevented => Attacks.All(a => a.Prevented);
}
