namespace Consortia.Governance.Reports;

/// <summary>One completed round as the coordinator recorded it.</summary>
/// <param name="Round">The round number.</param>
/// <param name="Sites">The sites whose updates it aggregated, in recorded order.</param>
/// <param name="AggregateSha256">The aggregate's hash, when recorded.</param>
public sealed record RoundParticipation(int Round, IReadOnlyList<string> Sites, string? AggregateSha256);
