namespace Consortia.Privacy.Mechanisms;

/// <summary>A source of independent standard normal draws for differential-privacy noise.</summary>
/// <remarks>
/// Deployments use <see cref="CryptographicNoiseSource"/> (operating-system CSPRNG); tests and simulations inject
/// <see cref="SeededNoiseSource"/> explicitly. Implementations need not be thread-safe.
/// </remarks>
public interface INoiseSource
{
    /// <summary>Fills <paramref name="destination"/> with independent N(0, 1) draws.</summary>
    /// <param name="destination">The buffer to fill.</param>
    public void NextStandardNormals(Span<double> destination);

    /// <summary>Adds <paramref name="scale"/>·z to every value, z independent N(0, 1) draws: Gaussian noise in place.</summary>
    /// <param name="values">The values, noised in place.</param>
    /// <param name="scale">The noise standard deviation; finite and non-negative.</param>
    /// <remarks>
    /// The hot path of DP-SGD (one draw per model parameter per step). The built-in sources override it with a
    /// vectorised transform rounded to float once per value (see their remarks); this default draws doubles
    /// through <see cref="NextStandardNormals"/> in blocks and rounds each scaled draw to float.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is negative, NaN or infinite.</exception>
    public void AddScaledStandardNormals(Span<float> values, float scale)
    {
        NoiseScale.Validate(scale);
        Span<double> z = stackalloc double[256];
        while (!values.IsEmpty)
        {
            int count = Math.Min(values.Length, z.Length);
            NextStandardNormals(z[..count]);
            for (int i = 0; i < count; i++)
            {
                values[i] += (float)(scale * z[i]);
            }

            values = values[count..];
        }

        z.Clear();
    }
}
