using Consortia.Federation;
using Consortia.Federation.Engine;

namespace Consortia.Federation.Jobs.Store;

/// <summary>A committed round of a job.</summary>
/// <param name="Round">The round.</param>
/// <param name="Report">Its report (replies other than refusals, failures and misses are stored as failures with code <c>unexpected-reply</c>).</param>
/// <param name="CompletedAt">When it was committed (UTC).</param>
public sealed record StoredRound(RoundNumber Round, RoundReport Report, DateTimeOffset CompletedAt);
