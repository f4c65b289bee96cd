using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace Consortia.Learning.Metrics;

/// <summary>Argument checks shared by the metrics: lengths, binary labels, NaN and probability ranges.</summary>
/// <remarks>
/// The checks scan with vectors (or <see cref="TensorPrimitives"/>) and only fall back to a scalar scan
/// to name the first offending index when a check fails, so valid input pays one vectorised pass.
/// </remarks>
internal static class MetricInput
{
    /// <summary>Throws unless both spans have the same, non-zero length.</summary>
    public static void RequirePaired(int firstLength, int secondLength, string firstName, string secondName)
    {
        if (firstLength != secondLength)
        {
            ThrowLengthMismatch(firstLength, secondLength, firstName, secondName);
        }

        if (firstLength == 0)
        {
            ThrowEmpty(firstName);
        }
    }

    /// <summary>Throws unless every value is exactly 0 or 1.</summary>
    public static void RequireBinary(ReadOnlySpan<float> values, string name)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            Vector<float> one = Vector<float>.One;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> v = new(values.Slice(i, Vector<float>.Count));
                Vector<int> ok = Vector.Equals(v, Vector<float>.Zero) | Vector.Equals(v, one);
                if (!Vector.EqualsAll(ok, Vector<int>.AllBitsSet))
                {
                    break;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            float v = values[i];
            if (v != 0f && v != 1f)
            {
                ThrowBadValue(name, i, v, "0 or 1");
            }
        }
    }

    /// <summary>Throws if any value is NaN.</summary>
    public static void RequireNotNaN(ReadOnlySpan<float> values, string name)
    {
        if (TensorPrimitives.IsNaNAny(values))
        {
            ThrowBadValue(name, FirstNaN(values), float.NaN, "a number");
        }
    }

    /// <summary>Throws unless every value lies in [0, 1] (NaN fails).</summary>
    public static void RequireProbabilities(ReadOnlySpan<float> values, string name)
    {
        // Min and Max propagate NaN, and every comparison with NaN is false, so NaN fails here too.
        float min = TensorPrimitives.Min(values);
        float max = TensorPrimitives.Max(values);
        if (min >= 0f && max <= 1f)
        {
            return;
        }

        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0f && v <= 1f))
            {
                ThrowBadValue(name, i, v, "a probability in [0, 1]");
            }
        }
    }

    private static int FirstNaN(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    [DoesNotReturn]
    private static void ThrowLengthMismatch(int firstLength, int secondLength, string firstName, string secondName) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"'{firstName}' has {firstLength} values but '{secondName}' has {secondLength}; they must be paired one to one."),
            secondName);

    [DoesNotReturn]
    private static void ThrowEmpty(string name) =>
        throw new ArgumentException($"'{name}' is empty; a metric needs at least one example.", name);

    [DoesNotReturn]
    private static void ThrowBadValue(string name, int index, float value, string expected) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{name}[{index}] is {value}; expected {expected}."),
            name);
}
