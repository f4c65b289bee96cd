using System.Numerics;

namespace Consortia.Learning;

/// <summary>
/// A seeded, reproducible source of statistical randomness (xoshiro256** seeded through SplitMix64).
/// </summary>
/// <remarks>
/// Every random choice in training, partitioning and simulation comes from a <see cref="RandomSource"/>
/// derived from the job seed and a path of labels (round, site, purpose), so that the same job and seed
/// give bit-identical results whatever the thread scheduling. Not for cryptography: keys, secure
/// aggregation seeds and differential-privacy noise in deployments use a cryptographic source.
/// Instances are not thread-safe; derive one per consumer with <see cref="Derive(ulong)"/>.
/// </remarks>
public sealed class RandomSource
{
    private ulong _s0, _s1, _s2, _s3;
    private readonly ulong _seed;
    private double? _spareGaussian;

    /// <summary>Creates a source from a 64-bit seed.</summary>
    /// <param name="seed">The seed; equal seeds give equal streams.</param>
    public RandomSource(ulong seed)
    {
        _seed = seed;
        ulong state = seed;
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
    }

    private RandomSource(ulong seed, ReadOnlySpan<ulong> state)
    {
        _seed = seed;
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    /// <summary>Creates a source from a full 256-bit xoshiro state, e.g. drawn from a cryptographic generator.</summary>
    /// <param name="state">Four words, not all zero (the all-zero state is xoshiro's one fixed point).</param>
    /// <returns>The source; its stream is not predictable without the state.</returns>
    /// <remarks>
    /// For a site's private statistical draws (batch order, DP-SGD's Poisson sampling), seeded from the operating
    /// system's generator. <see cref="Seed"/> and <see cref="Derive(ulong)"/> then depend on the first word only:
    /// derive nothing from such a source; create one per purpose.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="state"/> is not four words, or all four are zero.</exception>
    public static RandomSource FromState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4 || (state[0] | state[1] | state[2] | state[3]) == 0)
        {
            throw new ArgumentException("A xoshiro256** state is four words, not all zero.", nameof(state));
        }

        return new RandomSource(state[0], state);
    }

    /// <summary>The seed this source was created from.</summary>
    public ulong Seed => _seed;

    /// <summary>Derives an independent child source labelled by <paramref name="label"/>.</summary>
    /// <param name="label">A label such as a round number, a site index or a purpose code.</param>
    /// <returns>A new source whose stream depends only on this source's seed and the label.</returns>
    /// <remarks>Deriving does not advance this source, so the order of derivations does not matter.</remarks>
    public RandomSource Derive(ulong label)
    {
        ulong state = _seed ^ (label * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL);
        ulong mixed = SplitMix64(ref state);
        return new RandomSource(mixed ^ BitOperations.RotateLeft(_seed, 17));
    }

    /// <summary>Derives a child source labelled by a string (hashed with FNV-1a, stable across runs).</summary>
    /// <param name="label">A purpose name such as <c>"init"</c> or <c>"shuffle"</c>.</param>
    /// <returns>A new independent source.</returns>
    public RandomSource Derive(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        ulong hash = 0xCBF29CE484222325UL;
        foreach (char c in label)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }

        return Derive(hash);
    }

    /// <summary>Returns the next 64 uniformly random bits.</summary>
    /// <returns>A uniformly distributed 64-bit value.</returns>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Returns a uniform double in [0, 1) with 53 random bits.</summary>
    /// <returns>A value in [0, 1).</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns a uniform integer in [0, <paramref name="maxExclusive"/>) without modulo bias.</summary>
    /// <param name="maxExclusive">The exclusive upper bound; must be positive.</param>
    /// <returns>A value in [0, maxExclusive).</returns>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            ulong high = Math.BigMul(r, bound, out ulong low);
            if (low >= threshold)
            {
                return (int)high;
            }
        }
    }

    /// <summary>Returns a standard normal variate (Marsaglia polar method).</summary>
    /// <returns>A draw from N(0, 1).</returns>
    public double NextGaussian()
    {
        if (_spareGaussian is double spare)
        {
            _spareGaussian = null;
            return spare;
        }

        double u, v, s;
        do
        {
            u = (2.0 * NextDouble()) - 1.0;
            v = (2.0 * NextDouble()) - 1.0;
            s = (u * u) + (v * v);
        }
        while (s >= 1.0 || s == 0.0);

        double factor = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spareGaussian = v * factor;
        return u * factor;
    }

    /// <summary>Returns a Gamma(shape, 1) variate (Marsaglia–Tsang), used for Dirichlet draws.</summary>
    /// <param name="shape">The shape parameter; must be positive.</param>
    /// <returns>A draw from Gamma(shape, 1).</returns>
    public double NextGamma(double shape)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape);
        if (shape < 1.0)
        {
            // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a).
            double u = NextDouble();
            return NextGamma(shape + 1.0) * Math.Pow(u == 0.0 ? double.Epsilon : u, 1.0 / shape);
        }

        double d = shape - (1.0 / 3.0);
        double c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = NextGaussian();
                v = 1.0 + (c * x);
            }
            while (v <= 0.0);

            v = v * v * v;
            double u = NextDouble();
            if (u < 1.0 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1.0 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    /// <summary>Shuffles <paramref name="values"/> in place (Fisher–Yates).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="values">The values to shuffle.</param>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
