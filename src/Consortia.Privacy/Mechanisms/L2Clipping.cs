using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Consortia.Learning;

namespace Consortia.Privacy.Mechanisms;

/// <summary>L2-norm clipping, the sensitivity bound of the Gaussian mechanism, DP-SGD and DP-FedAvg.</summary>
/// <remarks>
/// <para>
/// x ← x·min(1, C/‖x‖₂) (Abadi et al., "Deep Learning with Differential Privacy", CCS 2016). Norms are accumulated in
/// double precision (vectorised, widening <see cref="Vector{T}"/> of float), so they neither overflow nor lose
/// digits on long vectors.
/// </para>
/// <para>
/// Privacy guarantee: after clipping, the norm computed exactly from the stored floats is ≤ C. Rounding each
/// product to float can raise a norm by up to 2⁻²⁴ relative, so the scale factor is shrunk by 2⁻²¹
/// (≈ 5·10⁻⁷ relative, a few float ulps) — a bias far below float resolution of the update itself.
/// </para>
/// <para>Allocation-free and thread-safe (pure functions on the caller's spans).</para>
/// </remarks>
public static class L2Clipping
{
    private const double SafetyShrink = 1.0 - (1.0 / (1 << 21));

    /// <summary>The Euclidean norm of <paramref name="values"/>, accumulated in double precision.</summary>
    /// <param name="values">The values.</param>
    /// <returns>‖values‖₂; NaN or +∞ when a value is.</returns>
    public static double Norm(ReadOnlySpan<float> values)
    {
        double sum = 0.0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            Vector<double> acc0 = Vector<double>.Zero;
            Vector<double> acc1 = Vector<double>.Zero;
            ReadOnlySpan<Vector<float>> vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            foreach (Vector<float> v in vectors)
            {
                Vector.Widen(v, out Vector<double> low, out Vector<double> high);
                acc0 += low * low;
                acc1 += high * high;
            }

            sum = Vector.Sum(acc0 + acc1);
            i = vectors.Length * Vector<float>.Count;
        }

        for (; i < values.Length; i++)
        {
            double x = values[i];
            sum += x * x;
        }

        return Math.Sqrt(sum);
    }

    /// <summary>The Euclidean norm of <paramref name="values"/>.</summary>
    /// <param name="values">The values.</param>
    /// <returns>‖values‖₂.</returns>
    public static double Norm(ReadOnlySpan<double> values) => TensorPrimitives.Norm(values);

    /// <summary>Clips <paramref name="values"/> in place to L2 norm at most <paramref name="clipNorm"/>.</summary>
    /// <param name="values">The vector to clip (an update, or one example's gradient).</param>
    /// <param name="clipNorm">The bound C; finite and positive.</param>
    /// <returns>The norm before clipping (for adaptive clipping's "was it clipped" bit and for metrics).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipNorm"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">A value is NaN or infinite: its contribution cannot be bounded.</exception>
    public static double ClipInPlace(Span<float> values, double clipNorm)
    {
        ValidateClipNorm(clipNorm);
        double norm = Norm(values);
        if (!double.IsFinite(norm))
        {
            throw new ArgumentException($"The vector contains a non-finite value at index {IndexOfNonFinite(values)}; its sensitivity cannot be bounded.", nameof(values));
        }

        if (norm > clipNorm)
        {
            TensorPrimitives.Multiply(values, (float)(clipNorm / norm * SafetyShrink), values);
        }

        return norm;
    }

    /// <summary>Clips <paramref name="values"/> in place to L2 norm at most <paramref name="clipNorm"/>.</summary>
    /// <param name="values">The vector to clip.</param>
    /// <param name="clipNorm">The bound C; finite and positive.</param>
    /// <returns>The norm before clipping.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipNorm"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static double ClipInPlace(Span<double> values, double clipNorm)
    {
        ValidateClipNorm(clipNorm);
        double norm = Norm(values);
        if (!double.IsFinite(norm))
        {
            // The double norm may overflow on finite values near double.MaxValue; rescale before giving up.
            double max = values.IsEmpty ? 0.0 : TensorPrimitives.MaxMagnitude(values);
            if (!double.IsFinite(max) || double.IsNaN(max))
            {
                throw new ArgumentException("The vector contains a non-finite value; its sensitivity cannot be bounded.", nameof(values));
            }

            TensorPrimitives.Multiply(values, 1.0 / max, values);
            double scaledNorm = Norm(values);
            TensorPrimitives.Multiply(values, scaledNorm * max > clipNorm ? clipNorm / scaledNorm * SafetyShrink : max, values);
            return scaledNorm * max;
        }

        if (norm > clipNorm)
        {
            TensorPrimitives.Multiply(values, clipNorm / norm * SafetyShrink, values);
        }

        return norm;
    }

    /// <summary>Clips a parameter vector (or update) in place.</summary>
    /// <param name="vector">The vector.</param>
    /// <param name="clipNorm">The bound C; finite and positive.</param>
    /// <returns>The norm before clipping.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipNorm"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static double ClipInPlace(ParameterVector vector, double clipNorm)
    {
        ArgumentNullException.ThrowIfNull(vector);
        return ClipInPlace(vector.Values, clipNorm);
    }

    private static void ValidateClipNorm(double clipNorm)
    {
        if (!(clipNorm > 0.0) || !double.IsFinite(clipNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "The clip norm must be finite and positive.");
        }
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
