namespace Consortia.Privacy.Distributed;

/// <summary>Exact uniform integers and rational Bernoulli draws from 64-bit words: integer arithmetic only.</summary>
internal static class ExactDraws
{
    /// <summary>A uniform integer in [0, n) (Lemire's multiply-and-reject; exact, no modulo bias).</summary>
    /// <param name="source">The word source.</param>
    /// <param name="n">The bound, ≥ 1.</param>
    /// <returns>The draw.</returns>
    public static ulong UniformBelow(IRandomWordSource source, ulong n)
    {
        UInt128 m = (UInt128)source.NextUInt64() * n;
        ulong low = (ulong)m;
        if (low < n)
        {
            ulong threshold = (0UL - n) % n; // 2⁶⁴ mod n: the words that would over-represent the low results
            while (low < threshold)
            {
                m = (UInt128)source.NextUInt64() * n;
                low = (ulong)m;
            }
        }

        return (ulong)(m >> 64);
    }

    /// <summary>True with probability exactly numerator / denominator.</summary>
    /// <param name="source">The word source.</param>
    /// <param name="numerator">0 ≤ numerator ≤ denominator.</param>
    /// <param name="denominator">≥ 1.</param>
    /// <returns>The draw.</returns>
    public static bool Bernoulli(IRandomWordSource source, ulong numerator, ulong denominator) =>
        UniformBelow(source, denominator) < numerator;
}
