namespace Consortia.Data;

/// <summary>How features are standardised: <c>x' = (x − mean) / (std + 1e-9)</c> with the unbiased std.</summary>
public enum Standardization
{
    /// <summary>Features are left as they are, for the sites and for the pooled data.</summary>
    None,

    /// <summary>
    /// Each site uses the mean and std of its own training rows (what a real federation can do without
    /// sharing data); the pooled data uses the pooled training rows' statistics.
    /// </summary>
    PerSite,

    /// <summary>
    /// Every site and the pooled data use the statistics of the pooled training rows. Only a simulation
    /// can do this: it needs every site's data in one place.
    /// </summary>
    Pooled,
}
