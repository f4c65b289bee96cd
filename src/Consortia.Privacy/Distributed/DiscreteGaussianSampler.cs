using System.Numerics;

namespace Consortia.Privacy.Distributed;

/// <summary>
/// An exact sampler of the discrete Gaussian N_Z(0, σ²), P(x) ∝ exp(−x²/(2σ²)) on the integers (Canonne, Kamath,
/// Steinke 2020, Algorithms 1–3), for a rational σ² = numerator / denominator, driven by uniform 64-bit words with
/// integer arithmetic only: no floating point touches a draw, so no rounding can bias or leak it.
/// </summary>
/// <remarks>
/// <para>
/// A draw proposes Y from the discrete Laplace law P(y) ∝ exp(−|y|/t), t = ⌊σ⌋ + 1, and accepts it with probability
/// exp(−(|Y| − σ²/t)²/(2σ²)) = exp(−(|Y|·t·q − p)²/(2·p·q·t²)) for σ² = p/q; each exponential is an exact
/// Bernoulli(exp(−n/d)) (<see cref="ExactDraws.BernoulliExpMinus(IRandomWordSource, UInt128, UInt128)"/>). Accepted values follow N_Z(0, σ²) exactly
/// (the proposal dominates the target by the factor exp(σ²/(2t²)) ≤ e^½).
/// </para>
/// <para>
/// Cost: O(1) expected words per draw whatever σ (the acceptance rate is at least about 0.4; measured about 20 words a
/// draw), unlike the Poisson draws of Skellam noise, whose cost grows with the variance.
/// </para>
/// </remarks>
public sealed class DiscreteGaussianSampler
{
    /// <summary>The largest σ² accepted: 2⁴⁰ (σ ≤ 2²⁰), so that the acceptance test's integers fit in 128 bits.</summary>
    public const double MaxVariance = 1UL << 40;

    /// <summary>The largest denominator of σ² (the finest grid <see cref="FromVariance"/> rounds to): 2¹⁶.</summary>
    public const ulong GridDenominator = 1UL << 16;

    // |Y| below this keeps |Y|·t·q below 2⁶³ (t ≤ 2²¹, q ≤ 2¹⁶): the 128-bit path. Larger |Y| (probability below e^−32) takes BigInteger.
    private const ulong FastLimit = 1UL << 26;

    private readonly ulong _p;
    private readonly ulong _q;
    private readonly ulong _t;
    private readonly UInt128 _acceptDenominator; // 2·p·q·t²

    /// <summary>Creates a sampler for σ² = <paramref name="numerator"/> / <paramref name="denominator"/>.</summary>
    /// <param name="numerator">p ≥ 1.</param>
    /// <param name="denominator">q in [1, 2¹⁶].</param>
    /// <exception cref="ArgumentOutOfRangeException">σ² is zero or above <see cref="MaxVariance"/>, or the denominator is out of range.</exception>
    public DiscreteGaussianSampler(ulong numerator, ulong denominator)
    {
        ArgumentOutOfRangeException.ThrowIfZero(numerator);
        ArgumentOutOfRangeException.ThrowIfZero(denominator);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(denominator, GridDenominator);
        if ((double)numerator / denominator > MaxVariance)
        {
            throw new ArgumentOutOfRangeException(nameof(numerator), (double)numerator / denominator, $"σ² must be at most {MaxVariance} (the acceptance test's integers must fit in 128 bits).");
        }

        _p = numerator;
        _q = denominator;
        _t = FloorSqrt(numerator / denominator) + 1; // ⌊σ⌋ + 1: ⌊√x⌋ = ⌊√⌊x⌋⌋
        _acceptDenominator = 2 * (UInt128)_p * _q * _t * _t;
    }

    /// <summary>
    /// The sampler for the smallest σ² ≥ <paramref name="variance"/> on the grid of 2⁻ᵏ, k = min(16, max(0, 24 −
    /// ⌈log₂ σ²⌉)): about 24 significant bits (rounding up by less than 2⁻²³ relative only adds noise), which keeps the
    /// acceptance test's denominator 2·p·q·t² within 64 bits for σ² up to about 2²⁵ — the fast path.
    /// </summary>
    /// <param name="variance">σ² &gt; 0.</param>
    /// <returns>The sampler.</returns>
    public static DiscreteGaussianSampler FromVariance(double variance)
    {
        if (!(variance > 0) || variance > MaxVariance)
        {
            throw new ArgumentOutOfRangeException(nameof(variance), variance, $"Expected a discrete Gaussian σ² in (0, {MaxVariance}].");
        }

        int k = Math.Clamp(24 - (int)Math.Ceiling(Math.Log2(variance)), 0, 16);
        ulong denominator = 1UL << k;
        return new DiscreteGaussianSampler((ulong)Math.Ceiling(variance * denominator), denominator);
    }

    /// <summary>The numerator of σ².</summary>
    public ulong Numerator => _p;

    /// <summary>The denominator of σ².</summary>
    public ulong Denominator => _q;

    /// <summary>σ² as a double (the exact value is <see cref="Numerator"/> / <see cref="Denominator"/>); the law's variance is at most σ².</summary>
    public double Sigma2 => (double)_p / _q;

    /// <summary>Draws one value.</summary>
    /// <param name="source">The word source.</param>
    /// <returns>A draw of N_Z(0, σ²).</returns>
    public long Sample(IRandomWordSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        while (true)
        {
            long y = DiscreteLaplace(source);
            ulong a = (ulong)Math.Abs(y);
            bool accepted = a < FastLimit ? AcceptFast(source, a) : AcceptSlow(source, a);
            if (accepted)
            {
                return y;
            }
        }
    }

    /// <summary>Adds an independent draw to every element.</summary>
    /// <param name="values">The integer vector.</param>
    /// <param name="source">The word source.</param>
    public void AddTo(Span<long> values, IRandomWordSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] += Sample(source);
        }
    }

    /// <summary>P(x) ∝ exp(−|x|/t) (CKS 2020, Algorithm 2 with s = 1).</summary>
    private long DiscreteLaplace(IRandomWordSource source)
    {
        while (true)
        {
            ulong u = ExactDraws.UniformBelow(source, _t);
            if (!ExactDraws.BernoulliExpMinus(source, u, _t))
            {
                continue;
            }

            ulong v = 0;
            while (ExactDraws.BernoulliExpMinusOne(source))
            {
                v++;
            }

            ulong x = checked(u + (_t * v));
            bool negative = (source.NextUInt64() & 1) == 1;
            if (negative && x == 0)
            {
                continue; // +0 and −0 would count zero twice
            }

            return negative ? -(long)x : (long)x;
        }
    }

    private bool AcceptFast(IRandomWordSource source, ulong a)
    {
        ulong scaled = a * _t * _q; // < 2⁶³
        ulong difference = scaled >= _p ? scaled - _p : _p - scaled;
        return ExactDraws.BernoulliExpMinus(source, (UInt128)difference * difference, _acceptDenominator);
    }

    private bool AcceptSlow(IRandomWordSource source, ulong a)
    {
        BigInteger difference = (new BigInteger(a) * _t * _q) - _p;
        BigInteger numerator = difference * difference;
        BigInteger denominator = (BigInteger)_acceptDenominator;
        BigInteger whole = BigInteger.DivRem(numerator, denominator, out BigInteger remainder);
        for (BigInteger i = 0; i < whole; i++)
        {
            if (!ExactDraws.BernoulliExpMinusOne(source))
            {
                return false;
            }
        }

        return ExactDraws.BernoulliExpMinus(source, (UInt128)remainder, _acceptDenominator);
    }

    private static ulong FloorSqrt(ulong x)
    {
        ulong s = (ulong)Math.Sqrt(x);
        while (s > 0 && (UInt128)s * s > x)
        {
            s--;
        }

        while ((UInt128)(s + 1) * (s + 1) <= x)
        {
            s++;
        }

        return s;
    }
}
