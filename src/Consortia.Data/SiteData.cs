using Consortia.Data.Preprocessing;
using Consortia.Learning;

namespace Consortia.Data;

/// <summary>One site's local data, already preprocessed: its training rows and its test rows.</summary>
/// <param name="Name">The site name (for example <c>cleveland</c> or <c>Northeast</c>).</param>
/// <param name="Train">The rows the site trains on.</param>
/// <param name="Test">The rows the site evaluates on.</param>
/// <remarks>Record equality compares the datasets by reference.</remarks>
public sealed record SiteData(string Name, Dataset Train, Dataset Test)
{
    /// <summary>The standardisation statistics applied to both <see cref="Train"/> and <see cref="Test"/>.</summary>
    /// <value><see langword="null"/> when the features were left unscaled.</value>
    /// <remarks>
    /// Per-site statistics are computed from the site's own training rows and describe its local data;
    /// like the rows themselves they stay at the site in a deployment.
    /// </remarks>
    public StandardizationStatistics? Statistics { get; init; }
}
