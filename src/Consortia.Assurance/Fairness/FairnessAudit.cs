using System.Collections.Immutable;
using Consortia.Data.Contracts;

namespace Consortia.Assurance.Fairness;

/// <summary>What a fairness audit compares: the declared sensitive attributes plus the site, and the decision threshold.</summary>
/// <remarks>
/// The site is always an attribute (named <see cref="SiteAttribute"/>), with one group per site. Every group is known
/// before any data is read, so the count vector every site sends has the same layout (<see cref="FairnessCountLayout"/>).
/// </remarks>
public sealed class FairnessAudit
{
    /// <summary>The name of the attribute whose groups are the sites.</summary>
    public const string SiteAttribute = "site";

    /// <summary>Creates an audit.</summary>
    /// <param name="attributes">The sensitive attributes (not the site, which is added).</param>
    /// <param name="sites">The site names, in roster order.</param>
    /// <param name="threshold">A record is predicted positive when its probability is strictly greater than this.</param>
    /// <exception cref="ArgumentException">No site, a duplicate name, or an attribute named <c>site</c>.</exception>
    public FairnessAudit(IReadOnlyList<SensitiveVariable> attributes, IReadOnlyList<string> sites, float threshold = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(sites);
        if (sites.Count == 0 || sites.Distinct(StringComparer.Ordinal).Count() != sites.Count)
        {
            throw new ArgumentException("An audit needs at least one site and distinct site names.", nameof(sites));
        }

        if (attributes.Any(a => a.Name == SiteAttribute) || attributes.Select(a => a.Name).Distinct(StringComparer.Ordinal).Count() != attributes.Count)
        {
            throw new ArgumentException($"Attribute names must be distinct and '{SiteAttribute}' is reserved (the site is always audited).", nameof(attributes));
        }

        if (!(threshold is >= 0f and <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a probability in [0, 1].");
        }

        Attributes = [.. attributes];
        Sites = [.. sites];
        Threshold = threshold;
        SiteGroups = new SensitiveVariable(SiteAttribute, SiteAttribute, [.. sites.Select((s, i) => new SensitiveGroup(s, i, double.NegativeInfinity, double.PositiveInfinity))]);
        Layout = new FairnessCountLayout([SiteGroups, .. attributes]);
    }

    /// <summary>The declared attributes, without the site.</summary>
    public ImmutableArray<SensitiveVariable> Attributes { get; }

    /// <summary>The sites.</summary>
    public ImmutableArray<string> Sites { get; }

    /// <summary>The site as an attribute: one group per site.</summary>
    public SensitiveVariable SiteGroups { get; }

    /// <summary>The decision threshold of the confusion matrix.</summary>
    public float Threshold { get; }

    /// <summary>The layout of the count vector each site sends.</summary>
    public FairnessCountLayout Layout { get; }
}
