using Consortia.Privacy.DpSgd;

namespace Consortia.Federation.Sites;

/// <summary>Sample-level DP-SGD for a job, as sent to each site with its training task.</summary>
/// <param name="Options">Clipping, σ or target ε, δ and sampling.</param>
/// <param name="JobId">The job the privacy charges are booked to.</param>
/// <param name="TotalRounds">The job's rounds, over which a target ε is spread.</param>
public sealed record SiteDpSettings(DpSgdOptions Options, string JobId, int TotalRounds);
