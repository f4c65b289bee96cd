using Consortia.Federation.Strategies;
using Consortia.Learning;
using Consortia.Privacy.Distributed;

namespace Consortia.Federation.SecureAggregation;

/// <summary>
/// How a site's update is laid out for secure summation under distributed DP: the D rotated, rounded and noised
/// integers, then the weight (1: every site counts once), then a zero where the training loss would be (it stays at the
/// site), then (adaptive clipping) the noised bit. Every entry is an integer, reduced mod 2^32 as it is.
/// </summary>
internal static class DistributedUpdateLayout
{
    public static int Length(DistributedDpParameters parameters) => parameters.EncodedLength + 2;

    /// <summary>The site's vector from its encoding (<see cref="DistributedDp.EncodeSite"/>).</summary>
    public static long[] Encode(long[] encoded, DistributedDpParameters parameters)
    {
        int padded = parameters.PaddedLength;
        long[] vector = new long[Length(parameters)];
        encoded.AsSpan(0, padded).CopyTo(vector);
        vector[padded] = 1;
        vector[padded + 1] = 0;
        if (parameters.BitSiteVariance is not null)
        {
            vector[^1] = encoded[padded];
        }

        return vector;
    }

    /// <summary>The ring sum as signed integers (two's complement: [−2^31, 2^31)).</summary>
    public static long[] Signed(ReadOnlySpan<uint> sum)
    {
        long[] signed = new long[sum.Length];
        for (int i = 0; i < sum.Length; i++)
        {
            signed[i] = unchecked((int)sum[i]);
        }

        return signed;
    }

    /// <summary>The coordinator's decoding: the noisy sum of clipped updates, the contributor count and the noisy bit sum.</summary>
    public static SummedUpdates Decode(ReadOnlySpan<uint> sum, ParameterLayout layout, int contributors, double clipNorm, DistributedDpParameters parameters, ulong rotationSeed)
    {
        long[] signed = Signed(sum);
        int padded = parameters.PaddedLength;
        long[] noised = new long[parameters.EncodedLength];
        signed.AsSpan(0, padded).CopyTo(noised);
        if (parameters.BitSiteVariance is not null)
        {
            noised[padded] = signed[^1];
        }

        double[] decoded = DistributedDp.DecodeSum(noised, layout.Length, clipNorm, parameters, rotationSeed, out double? bitSum);
        float[] values = [.. decoded.Select(v => (float)v)];
        return new SummedUpdates(new ParameterVector(layout, values), signed[padded], contributors) { UnclippedBitSum = bitSum };
    }
}
