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

    /// <summary>A uniform integer in [0, n) for a 128-bit bound: masked rejection (each try succeeds with probability above ½).</summary>
    /// <param name="source">The word source.</param>
    /// <param name="n">The bound, ≥ 1.</param>
    /// <returns>The draw.</returns>
    public static UInt128 UniformBelow(IRandomWordSource source, UInt128 n)
    {
        if (n <= ulong.MaxValue)
        {
            return UniformBelow(source, (ulong)n);
        }

        int bits = 128 - (int)UInt128.LeadingZeroCount(n - 1);
        UInt128 mask = bits == 128 ? UInt128.MaxValue : (UInt128.One << bits) - 1;
        while (true)
        {
            UInt128 x = new UInt128(source.NextUInt64(), source.NextUInt64()) & mask;
            if (x < n)
            {
                return x;
            }
        }
    }

    /// <summary>True with probability exactly numerator / denominator.</summary>
    /// <param name="source">The word source.</param>
    /// <param name="numerator">0 ≤ numerator ≤ denominator.</param>
    /// <param name="denominator">≥ 1.</param>
    /// <returns>The draw.</returns>
    public static bool Bernoulli(IRandomWordSource source, ulong numerator, ulong denominator) =>
        UniformBelow(source, denominator) < numerator;

    /// <summary>True with probability exactly numerator / denominator (128-bit).</summary>
    /// <param name="source">The word source.</param>
    /// <param name="numerator">0 ≤ numerator ≤ denominator.</param>
    /// <param name="denominator">≥ 1.</param>
    /// <returns>The draw.</returns>
    public static bool Bernoulli(IRandomWordSource source, UInt128 numerator, UInt128 denominator) =>
        UniformBelow(source, denominator) < numerator;

    /// <summary>
    /// True with probability exactly exp(−n/d) (Canonne, Kamath, Steinke 2020, Algorithm 1): ⌊n/d⌋ draws of
    /// Bernoulli(e⁻¹), stopping at the first failure, then Bernoulli(exp(−γ)) for the fraction γ = (n mod d)/d.
    /// </summary>
    /// <param name="source">The word source.</param>
    /// <param name="numerator">n ≥ 0.</param>
    /// <param name="denominator">d ≥ 1.</param>
    /// <returns>The draw.</returns>
    public static bool BernoulliExpMinus(IRandomWordSource source, UInt128 numerator, UInt128 denominator)
    {
        if (denominator <= ulong.MaxValue)
        {
            // The common case: one 128-bit division, then 64-bit draws.
            (UInt128 whole128, UInt128 remainder) = UInt128.DivRem(numerator, denominator);
            return WholeExpMinusOne(source, whole128) && ExpMinusFraction(source, (ulong)remainder, (ulong)denominator);
        }

        return WholeExpMinusOne(source, numerator / denominator) && ExpMinusFraction(source, numerator % denominator, denominator);
    }

    /// <summary>True with probability exactly exp(−n/d) for 64-bit n and d.</summary>
    /// <param name="source">The word source.</param>
    /// <param name="numerator">n ≥ 0.</param>
    /// <param name="denominator">d ≥ 1.</param>
    /// <returns>The draw.</returns>
    public static bool BernoulliExpMinus(IRandomWordSource source, ulong numerator, ulong denominator) =>
        numerator < denominator
            ? ExpMinusFraction(source, numerator, denominator)
            : WholeExpMinusOne(source, numerator / denominator) && ExpMinusFraction(source, numerator % denominator, denominator);

    /// <summary>True with probability exactly e^−1.</summary>
    /// <param name="source">The word source.</param>
    /// <returns>The draw.</returns>
    public static bool BernoulliExpMinusOne(IRandomWordSource source) => ExpMinusFraction(source, 1UL, 1UL);

    /// <summary>All of <paramref name="count"/> draws of Bernoulli(e⁻¹) succeed, stopping at the first failure (e^−count).</summary>
    private static bool WholeExpMinusOne(IRandomWordSource source, UInt128 count)
    {
        for (UInt128 i = 0; i < count; i++)
        {
            if (!BernoulliExpMinusOne(source))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True with probability exactly exp(−γ), γ = n/d ∈ [0, 1]: draw A_k ~ Bernoulli(γ/k) for k = 1, 2, … until one
    /// fails; the first failure's index K has P(K odd) = e^−γ (the alternating series of the exponential).
    /// </summary>
    private static bool ExpMinusFraction(IRandomWordSource source, ulong numerator, ulong denominator)
    {
        if (numerator == 0)
        {
            return true;
        }

        ulong k = 1;
        while (true)
        {
            UInt128 scaled = (UInt128)denominator * k; // k stays tiny: reaching k has probability ≤ 1/(k−1)!
            bool success = numerator >= scaled // γ/k ≥ 1 (k = 1, γ = 1): certain, no word needed
                || (scaled <= ulong.MaxValue ? UniformBelow(source, (ulong)scaled) < numerator : UniformBelow(source, scaled) < numerator);
            if (!success)
            {
                return (k & 1) == 1;
            }

            k++;
        }
    }

    /// <summary>The 128-bit form of <see cref="ExpMinusFraction(IRandomWordSource, ulong, ulong)"/>.</summary>
    private static bool ExpMinusFraction(IRandomWordSource source, UInt128 numerator, UInt128 denominator)
    {
        if (numerator == UInt128.Zero)
        {
            return true;
        }

        // k·d overflows only past k = 2¹²⁸/d ≥ 2¹³ for the denominators used (d < 2¹¹⁵); reaching k has probability ≤ 1/(k−1)!.
        UInt128 k = 1;
        while (numerator >= checked(denominator * k) || Bernoulli(source, numerator, checked(denominator * k)))
        {
            k++;
        }

        return (k & UInt128.One) == UInt128.One;
    }
}
