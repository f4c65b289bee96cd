namespace Consortia.Federation.Strategies.Robust;

/// <summary>The Byzantine-robust aggregation rule.</summary>
public enum RobustRule
{
    /// <summary>Coordinate-wise median of the site updates (Yin et al., 2018).</summary>
    Median,

    /// <summary>Coordinate-wise mean after dropping the β fraction largest and smallest values (Yin et al., 2018).</summary>
    TrimmedMean,

    /// <summary>The update closest to its n − f − 2 nearest neighbours (Blanchard et al., 2017).</summary>
    Krum,

    /// <summary>The mean of the m updates with the best Krum scores (Blanchard et al., 2017).</summary>
    MultiKrum,
}
