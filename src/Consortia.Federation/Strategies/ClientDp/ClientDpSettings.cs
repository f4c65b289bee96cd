using Consortia.Privacy.ClientLevel;

namespace Consortia.Federation.Strategies.ClientDp;

/// <summary>Client-level DP-FedAvg for a job.</summary>
/// <param name="Options">Clipping (fixed or adaptive), z or target ε, and δ.</param>
/// <param name="JobId">The job the sites' privacy charges are booked to.</param>
/// <param name="TotalRounds">The job's rounds T (the accountant's steps), over which a target ε is spread.</param>
public sealed record ClientDpSettings(ClientLevelDpOptions Options, string JobId, int TotalRounds);
