using System.Collections.Immutable;

namespace Consortia.Federation.Sites;

/// <summary>The site's fairness-audit count vector, sent as it is (the audited job does not use secure aggregation).</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round of the audited model.</param>
/// <param name="Counts">The non-negative integer counts (cells below the site's minimum cell count are zero).</param>
public sealed record FairnessCountsReleased(SiteId Site, RoundNumber Round, ImmutableArray<long> Counts) : SiteReply(Site, Round);
