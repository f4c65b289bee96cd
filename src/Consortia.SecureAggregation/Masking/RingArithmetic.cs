using System.Numerics;
using System.Runtime.InteropServices;

namespace Consortia.SecureAggregation.Masking;

/// <summary>Vectorised element-wise arithmetic in the ring Z_{2^32} (native unsigned wrap-around).</summary>
internal static class RingArithmetic
{
    /// <summary><paramref name="target"/>[i] += <paramref name="values"/>[i] (mod 2^32).</summary>
    internal static void AddInPlace(Span<uint> target, ReadOnlySpan<uint> values)
    {
        if (values.Length != target.Length)
        {
            throw new ArgumentException("Both vectors must have the same length.", nameof(values));
        }

        Span<Vector<uint>> wideTarget = MemoryMarshal.Cast<uint, Vector<uint>>(target);
        ReadOnlySpan<Vector<uint>> wideValues = MemoryMarshal.Cast<uint, Vector<uint>>(values);
        for (int i = 0; i < wideTarget.Length; i++)
        {
            wideTarget[i] += wideValues[i];
        }

        for (int i = wideTarget.Length * Vector<uint>.Count; i < target.Length; i++)
        {
            target[i] = unchecked(target[i] + values[i]);
        }
    }

    /// <summary><paramref name="target"/>[i] -= <paramref name="values"/>[i] (mod 2^32).</summary>
    internal static void SubtractInPlace(Span<uint> target, ReadOnlySpan<uint> values)
    {
        if (values.Length != target.Length)
        {
            throw new ArgumentException("Both vectors must have the same length.", nameof(values));
        }

        Span<Vector<uint>> wideTarget = MemoryMarshal.Cast<uint, Vector<uint>>(target);
        ReadOnlySpan<Vector<uint>> wideValues = MemoryMarshal.Cast<uint, Vector<uint>>(values);
        for (int i = 0; i < wideTarget.Length; i++)
        {
            wideTarget[i] -= wideValues[i];
        }

        for (int i = wideTarget.Length * Vector<uint>.Count; i < target.Length; i++)
        {
            target[i] = unchecked(target[i] - values[i]);
        }
    }
}
