namespace Consortia.Privacy.Distributed;

/// <summary>
/// Conditional randomised rounding (Agarwal, Kairouz, Liu 2021; reference §3.5 step 3): every coordinate is rounded
/// up with probability equal to its fractional part, and the whole vector is drawn again until its L2 norm is within
/// the bound Δ₂ the accountant uses — so the sensitivity holds for every released vector, not just on average.
/// </summary>
internal static class ConditionalRounding
{
    /// <summary>The attempts after which rounding gives up (each fails with probability ≤ β = e^−½ when the input is within the clip).</summary>
    public const int MaxAttempts = 1000;

    /// <summary>Rounds <paramref name="x"/> into <paramref name="rounded"/> with ‖rounded‖₂ ≤ <paramref name="l2Bound"/>.</summary>
    /// <param name="x">The scaled, rotated vector.</param>
    /// <param name="rounded">The integers (same length).</param>
    /// <param name="l2Bound">Δ₂.</param>
    /// <param name="source">The site's word source.</param>
    /// <returns>The attempts used.</returns>
    /// <exception cref="InvalidOperationException">No attempt met the bound (the input was not clipped to the scale).</exception>
    public static int Round(ReadOnlySpan<double> x, Span<long> rounded, double l2Bound, IRandomWordSource source)
    {
        double bound2 = l2Bound * l2Bound;
        for (int attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            double norm2 = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double floor = Math.Floor(x[i]);
                double fraction = x[i] - floor;

                // A 53-bit uniform in [0, 1): round up with probability `fraction` (exact to double precision).
                double u = (source.NextUInt64() >> 11) * (1.0 / (1UL << 53));
                long value = (long)floor + (u < fraction ? 1 : 0);
                rounded[i] = value;
                norm2 += (double)value * value;
            }

            if (norm2 <= bound2)
            {
                return attempt;
            }
        }

        throw new InvalidOperationException($"Conditional rounding found no vector within the L2 bound {l2Bound:G6} in {MaxAttempts} attempts: the update was not clipped to the scale.");
    }
}
