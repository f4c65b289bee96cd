using System.Buffers;
using System.Numerics.Tensors;
using Consortia.Learning;

namespace Consortia.Privacy.Mechanisms;

/// <summary>The Gaussian mechanism: adds N(0, (σ·C)²) independently to every coordinate of a clipped vector.</summary>
/// <remarks>
/// <para>
/// With L2 sensitivity C (guaranteed by <see cref="L2Clipping"/>) and noise multiplier σ this is the Gaussian
/// mechanism whose (sub-sampled) privacy the accountant measures (Mironov, Talwar, Zhang 2019; Abadi et al. 2016).
/// Float vectors get noise through <see cref="INoiseSource.AddScaledStandardNormals"/> (vectorised, in place, with
/// the standard deviation rounded up to a float so it is never below σ·C); double vectors through
/// <see cref="INoiseSource.NextStandardNormals"/> in blocks. Scratch comes from <see cref="ArrayPool{T}"/> and is
/// cleared on return (the noise must not leak: knowing it removes the protection).
/// </para>
/// <para>Thread-safe if the noise source is.</para>
/// </remarks>
public static class GaussianMechanism
{
    private const int Block = 1024;

    /// <summary>Adds Gaussian noise of standard deviation σ·C to each value.</summary>
    /// <param name="values">The (clipped) values, noised in place.</param>
    /// <param name="noiseMultiplier">σ, the noise standard deviation over the sensitivity; finite and ≥ 0.</param>
    /// <param name="clipNorm">C, the L2 sensitivity; finite and positive.</param>
    /// <param name="noise">The noise source: <see cref="CryptographicNoiseSource"/> for real runs.</param>
    /// <exception cref="ArgumentOutOfRangeException">σ or C is outside its domain.</exception>
    public static void AddNoise(Span<float> values, double noiseMultiplier, double clipNorm, INoiseSource noise)
    {
        double std = StandardDeviation(noiseMultiplier, clipNorm);
        ArgumentNullException.ThrowIfNull(noise);
        if (std > 0.0)
        {
            noise.AddScaledStandardNormals(values, NoiseScale.RoundUp(std));
        }
    }

    /// <summary>Adds Gaussian noise of standard deviation σ·C to each value.</summary>
    /// <param name="values">The (clipped) values, noised in place.</param>
    /// <param name="noiseMultiplier">σ; finite and ≥ 0.</param>
    /// <param name="clipNorm">C; finite and positive.</param>
    /// <param name="noise">The noise source.</param>
    /// <exception cref="ArgumentOutOfRangeException">σ or C is outside its domain.</exception>
    public static void AddNoise(Span<double> values, double noiseMultiplier, double clipNorm, INoiseSource noise)
    {
        double std = StandardDeviation(noiseMultiplier, clipNorm);
        ArgumentNullException.ThrowIfNull(noise);
        double[] normals = ArrayPool<double>.Shared.Rent(Math.Min(values.Length, Block));
        try
        {
            while (!values.IsEmpty)
            {
                int count = Math.Min(values.Length, Block);
                Span<double> z = normals.AsSpan(0, count);
                noise.NextStandardNormals(z);
                TensorPrimitives.MultiplyAdd(z, std, values[..count], values[..count]);
                values = values[count..];
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(normals, clearArray: true);
        }
    }

    /// <summary>Adds Gaussian noise of standard deviation σ·C to a parameter vector (or update).</summary>
    /// <param name="vector">The clipped vector, noised in place.</param>
    /// <param name="noiseMultiplier">σ; finite and ≥ 0.</param>
    /// <param name="clipNorm">C; finite and positive.</param>
    /// <param name="noise">The noise source.</param>
    /// <exception cref="ArgumentOutOfRangeException">σ or C is outside its domain.</exception>
    public static void AddNoise(ParameterVector vector, double noiseMultiplier, double clipNorm, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(vector);
        AddNoise(vector.Values, noiseMultiplier, clipNorm, noise);
    }

    /// <summary>Clips to C, then adds N(0, (σ·C)²) noise: one release of the Gaussian mechanism.</summary>
    /// <param name="values">The values, clipped and noised in place.</param>
    /// <param name="noiseMultiplier">σ; finite and ≥ 0.</param>
    /// <param name="clipNorm">C; finite and positive.</param>
    /// <param name="noise">The noise source.</param>
    /// <returns>The norm before clipping.</returns>
    /// <exception cref="ArgumentOutOfRangeException">σ or C is outside its domain.</exception>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static double ClipAndAddNoise(Span<float> values, double noiseMultiplier, double clipNorm, INoiseSource noise)
    {
        StandardDeviation(noiseMultiplier, clipNorm);
        ArgumentNullException.ThrowIfNull(noise);
        double norm = L2Clipping.ClipInPlace(values, clipNorm);
        AddNoise(values, noiseMultiplier, clipNorm, noise);
        return norm;
    }

    private static double StandardDeviation(double noiseMultiplier, double clipNorm)
    {
        if (!(noiseMultiplier >= 0.0) || !double.IsFinite(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier must be finite and non-negative.");
        }

        if (!(clipNorm > 0.0) || !double.IsFinite(clipNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "The clip norm must be finite and positive.");
        }

        return noiseMultiplier * clipNorm;
    }
}
