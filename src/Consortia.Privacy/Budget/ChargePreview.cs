namespace Consortia.Privacy.Budget;

/// <summary>What a charge would bring the spending to, computed without recording it (<see cref="PrivacyBudgetLedger.Preview"/>).</summary>
/// <param name="JobEpsilon">The charge's job's composed ε after the charge, at the site's δ.</param>
/// <param name="LifetimeEpsilon">The site's lifetime ε (all jobs) after the charge.</param>
/// <param name="EpsilonLimit">The site's lifetime ε limit.</param>
public sealed record ChargePreview(double JobEpsilon, double LifetimeEpsilon, double EpsilonLimit);
