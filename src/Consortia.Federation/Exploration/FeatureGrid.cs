namespace Consortia.Federation.Exploration;

/// <summary>The histogram grid a feature shares across sites, so that the sites' histograms sum bin by bin.</summary>
/// <param name="Lower">The left edge of the first bin.</param>
/// <param name="Upper">The right edge of the last bin (values equal to it fall in the last bin).</param>
/// <param name="Bins">The number of equal-width bins.</param>
public sealed record FeatureGrid(double Lower, double Upper, int Bins)
{
    /// <summary>The width of one bin: the resolution of quantiles computed from the histogram.</summary>
    public double Width => (Upper - Lower) / Bins;

    /// <summary>The bin a value falls in (values outside the grid are clamped to the first or last bin).</summary>
    /// <param name="value">A finite value.</param>
    /// <returns>The bin index.</returns>
    public int BinOf(double value) => Width <= 0 ? 0 : Math.Clamp((int)Math.Floor((value - Lower) / Width), 0, Bins - 1);

    /// <summary>The left edge of a bin.</summary>
    /// <param name="bin">The bin index (<see cref="Bins"/> gives the right edge of the last bin).</param>
    /// <returns>The edge.</returns>
    public double Edge(int bin) => Lower + (bin * Width);
}
