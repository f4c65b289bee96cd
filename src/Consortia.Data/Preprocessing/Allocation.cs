using System.Diagnostics;

namespace Consortia.Data.Preprocessing;

/// <summary>Integer allocation in proportion to weights (Hamilton's largest-remainder method), with caps.</summary>
internal static class Allocation
{
    /// <summary>
    /// Splits <paramref name="total"/> into integers proportional to <paramref name="weights"/>, each at most
    /// its cap; ties in the remainders go to the lower index, so the result is deterministic.
    /// </summary>
    public static int[] LargestRemainder(ReadOnlySpan<double> weights, int total, ReadOnlySpan<int> caps)
    {
        int k = weights.Length;
        Debug.Assert(k > 0 && caps.Length == k && total >= 0, "Well-formed input.");
        long capacity = 0;
        foreach (int cap in caps)
        {
            capacity += cap;
        }

        Debug.Assert(total <= capacity, "The caps leave room for the total.");
        double sum = 0;
        foreach (double w in weights)
        {
            sum += w;
        }

        int[] result = new int[k];
        double[] remainders = new double[k];
        int assigned = 0;
        for (int i = 0; i < k; i++)
        {
            double exact = sum > 0 ? total * weights[i] / sum : (double)total / k;
            int whole = Math.Min((int)Math.Floor(exact), caps[i]);
            result[i] = whole;
            remainders[i] = exact - whole;
            assigned += whole;
        }

        // Hand out what is left one unit at a time to the largest remainder that still has room.
        while (assigned < total)
        {
            int best = -1;
            for (int i = 0; i < k; i++)
            {
                if (result[i] < caps[i] && (best < 0 || remainders[i] > remainders[best]))
                {
                    best = i;
                }
            }

            result[best]++;
            remainders[best] -= 1.0;
            assigned++;
        }

        return result;
    }
}
