using Consortia.Data.Contracts;

namespace Consortia.Federation.Jobs;

/// <summary>The job's <c>fairness:</c> section: the sensitive attributes a fairness audit compares, and the mitigation to train with.</summary>
/// <remarks>Record equality compares the list by reference.</remarks>
public sealed record FairnessSettings
{
    /// <summary>The declared sensitive attributes (the site is always audited as well).</summary>
    public required IReadOnlyList<SensitiveVariable> Groups { get; init; }

    /// <summary>The decision threshold of the audit's confusion matrices.</summary>
    /// <value>0.5 by default.</value>
    public float Threshold { get; init; } = 0.5f;

    /// <summary>
    /// The attribute whose groups are reweighted (Kamiran &amp; Calders 2012) during training, or <see langword="null"/>
    /// for none: each site resamples its training records so that group and label are independent in expectation, with
    /// the group and label frequencies taken from a sum over all sites.
    /// </summary>
    public string? Reweighting { get; init; }
}
