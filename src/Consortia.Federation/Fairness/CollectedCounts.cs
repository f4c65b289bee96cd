using Consortia.Federation.Sites;

namespace Consortia.Federation.Fairness;

/// <summary>What the coordinator obtained from a fairness audit's sites: the sum of their count vectors, or why not.</summary>
/// <param name="Sum">The element-wise sum, or <see langword="null"/> when none was obtained.</param>
/// <param name="Contributors">The sites whose counts are in the sum.</param>
/// <param name="Refusals">The sites that refused, with their rules.</param>
/// <param name="Failures">The sites that failed or did not answer.</param>
/// <param name="Failure">Why there is no sum, or <see langword="null"/>.</param>
public sealed record CollectedCounts(long[]? Sum, IReadOnlyList<SiteId> Contributors, IReadOnlyList<Refused> Refusals, IReadOnlyList<SiteReply> Failures, string? Failure);
