namespace Consortia.Privacy.Mechanisms;

/// <summary>Validation and float rounding of a noise standard deviation.</summary>
internal static class NoiseScale
{
    /// <summary>Throws unless <paramref name="scale"/> is finite and non-negative.</summary>
    /// <param name="scale">The standard deviation.</param>
    public static void Validate(float scale)
    {
        if (!(scale >= 0f) || !float.IsFinite(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The noise scale must be finite and non-negative.");
        }
    }

    /// <summary>
    /// <paramref name="std"/> as a float, rounded up: the noise actually added is never smaller than the accountant's
    /// σ·C (at most one float ulp, 6·10⁻⁸ relative, larger).
    /// </summary>
    /// <param name="std">σ·C, finite and non-negative.</param>
    /// <returns>The smallest float ≥ <paramref name="std"/>.</returns>
    public static float RoundUp(double std)
    {
        float s = (float)std;
        return s < std ? MathF.BitIncrement(s) : s;
    }
}
