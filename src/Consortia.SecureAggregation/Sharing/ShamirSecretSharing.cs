using System.Buffers.Binary;

using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Sharing;

/// <summary>
/// t-out-of-m Shamir secret sharing over GF(2^127 − 1) for fixed-length secrets (design reference §2.10).
/// </summary>
/// <remarks>
/// A secret is split into 15-byte big-endian limbs (the last one shorter: a 32-byte secret is 15 + 15 + 2),
/// each below 2^120 &lt; p; every limb gets its own random polynomial of degree t − 1 whose constant term is
/// the limb. A share is <c>u32be(x) ‖ limb₁ ‖ … ‖ limb_L</c>, each limb value as 16 bytes big-endian, so a
/// 32-byte secret gives 52-byte shares. Any t shares reconstruct by Lagrange interpolation at 0; t − 1
/// shares are consistent with every possible secret (each secret value determines exactly one polynomial
/// through them), so they reveal nothing.
/// </remarks>
internal static class ShamirSecretSharing
{
    internal const int LimbBytes = 15;
    internal const int EncodedLimbBytes = 16;
    internal const int CoordinateBytes = 4;

    internal static int LimbCount(int secretLength) => (secretLength + LimbBytes - 1) / LimbBytes;

    internal static int ShareLength(int secretLength) => CoordinateBytes + (EncodedLimbBytes * LimbCount(secretLength));

    /// <summary>Splits <paramref name="secret"/> into one share per x-coordinate, drawing coefficients from <paramref name="random"/>.</summary>
    internal static byte[][] Split(ReadOnlySpan<byte> secret, int threshold, ReadOnlySpan<int> xs, ISecureRandom random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        int limbs = LimbCount(secret.Length);
        Fp127[,] coefficients = new Fp127[limbs, threshold - 1];
        Span<byte> draw = stackalloc byte[16];
        for (int limb = 0; limb < limbs; limb++)
        {
            for (int degree = 0; degree < threshold - 1; degree++)
            {
                coefficients[limb, degree] = DrawElement(random, draw);
            }
        }

        try
        {
            return Split(secret, xs, coefficients);
        }
        finally
        {
            Array.Clear(coefficients);
            draw.Clear();
        }
    }

    /// <summary>Splits with given coefficients: <c>coefficients[limb, j − 1]</c> multiplies x^j (tests inject known ones).</summary>
    internal static byte[][] Split(ReadOnlySpan<byte> secret, ReadOnlySpan<int> xs, Fp127[,] coefficients)
    {
        if (secret.IsEmpty)
        {
            throw new ArgumentException("The secret must not be empty.", nameof(secret));
        }

        int limbs = LimbCount(secret.Length);
        if (coefficients.GetLength(0) != limbs)
        {
            throw new ArgumentException("One row of coefficients per limb is required.", nameof(coefficients));
        }

        int threshold = coefficients.GetLength(1) + 1;
        if (xs.Length < threshold)
        {
            throw new ArgumentException($"At least {threshold} holders are needed for threshold {threshold}.", nameof(xs));
        }

        Span<Fp127> constants = stackalloc Fp127[limbs];
        ReadLimbs(secret, constants);
        byte[][] shares = new byte[xs.Length][];
        HashSet<int> seen = [];
        for (int i = 0; i < xs.Length; i++)
        {
            int x = xs[i];
            if (x <= 0 || !seen.Add(x))
            {
                throw new ArgumentException("Share x-coordinates must be distinct and positive.", nameof(xs));
            }

            byte[] share = new byte[ShareLength(secret.Length)];
            BinaryPrimitives.WriteUInt32BigEndian(share, (uint)x);
            Fp127 point = Fp127.FromCanonical((uint)x);
            for (int limb = 0; limb < limbs; limb++)
            {
                // Horner: a_{t-1}, …, a_1, then the constant term.
                Fp127 value = Fp127.Zero;
                for (int degree = threshold - 2; degree >= 0; degree--)
                {
                    value = (value * point) + coefficients[limb, degree];
                }

                value = (value * point) + constants[limb];
                BinaryPrimitives.WriteUInt128BigEndian(share.AsSpan(CoordinateBytes + (limb * EncodedLimbBytes), EncodedLimbBytes), value.Value);
            }

            shares[i] = share;
        }

        constants.Clear();
        return shares;
    }

    /// <summary>Decodes a share's x-coordinate and limbs, rejecting malformed encodings.</summary>
    internal static bool TryDecode(ReadOnlySpan<byte> share, int secretLength, out int x, Span<Fp127> limbs, out ShamirError error)
    {
        x = 0;
        int limbCount = LimbCount(secretLength);
        if (share.Length != ShareLength(secretLength) || limbs.Length < limbCount)
        {
            error = ShamirError.WrongLength;
            return false;
        }

        uint rawX = BinaryPrimitives.ReadUInt32BigEndian(share);
        if (rawX == 0 || rawX > int.MaxValue)
        {
            error = ShamirError.ZeroCoordinate;
            return false;
        }

        x = (int)rawX;
        for (int limb = 0; limb < limbCount; limb++)
        {
            UInt128 value = BinaryPrimitives.ReadUInt128BigEndian(share.Slice(CoordinateBytes + (limb * EncodedLimbBytes), EncodedLimbBytes));
            if (value >= Fp127.Modulus)
            {
                error = ShamirError.LimbOutOfField;
                return false;
            }

            limbs[limb] = Fp127.FromCanonical(value);
        }

        error = ShamirError.None;
        return true;
    }

    /// <summary>Reconstructs a secret of length <c>secret.Length</c> from at least <paramref name="threshold"/> shares.</summary>
    /// <remarks>Every share is validated; the first <paramref name="threshold"/> are interpolated.</remarks>
    internal static bool TryReconstruct(IReadOnlyList<ReadOnlyMemory<byte>> shares, int threshold, Span<byte> secret, out ShamirError error)
        => TryReconstruct(shares, threshold, secret, coefficientsCache: null, out error);

    /// <summary>As <see cref="TryReconstruct(IReadOnlyList{ReadOnlyMemory{byte}}, int, Span{byte}, out ShamirError)"/>, reusing Lagrange coefficients per x-set.</summary>
    internal static bool TryReconstruct(
        IReadOnlyList<ReadOnlyMemory<byte>> shares,
        int threshold,
        Span<byte> secret,
        Dictionary<string, Fp127[]>? coefficientsCache,
        out ShamirError error)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        if (shares.Count < threshold)
        {
            error = ShamirError.TooFewShares;
            return false;
        }

        int limbCount = LimbCount(secret.Length);
        Fp127[] values = new Fp127[threshold * limbCount];
        int[] xs = new int[threshold];
        HashSet<int> seen = [];
        Span<Fp127> scratch = stackalloc Fp127[limbCount];
        for (int i = 0; i < shares.Count; i++)
        {
            Span<Fp127> limbs = i < threshold ? values.AsSpan(i * limbCount, limbCount) : scratch;
            if (!TryDecode(shares[i].Span, secret.Length, out int x, limbs, out error))
            {
                return false;
            }

            if (!seen.Add(x))
            {
                error = ShamirError.DuplicateCoordinate;
                return false;
            }

            if (i < threshold)
            {
                xs[i] = x;
            }
        }

        Fp127[] lagrange = Coefficients(xs, coefficientsCache);
        for (int limb = 0; limb < limbCount; limb++)
        {
            Fp127 value = Fp127.Zero;
            for (int i = 0; i < threshold; i++)
            {
                value += lagrange[i] * values[(i * limbCount) + limb];
            }

            int offset = limb * LimbBytes;
            int length = Math.Min(LimbBytes, secret.Length - offset);
            if ((value.Value >> (8 * length)) != UInt128.Zero)
            {
                secret.Clear();
                Array.Clear(values);
                error = ShamirError.LimbOverflow;
                return false;
            }

            WriteLimb(value.Value, secret.Slice(offset, length));
        }

        Array.Clear(values);
        error = ShamirError.None;
        return true;
    }

    /// <summary>Interpolates the polynomial through the given points at <paramref name="at"/> (for tests of the t − 1 property).</summary>
    internal static Fp127 Interpolate(ReadOnlySpan<int> xs, ReadOnlySpan<Fp127> ys, Fp127 at)
    {
        Fp127 result = Fp127.Zero;
        for (int i = 0; i < xs.Length; i++)
        {
            Fp127 numerator = Fp127.One;
            Fp127 denominator = Fp127.One;
            Fp127 xi = Fp127.FromCanonical((uint)xs[i]);
            for (int j = 0; j < xs.Length; j++)
            {
                if (j == i)
                {
                    continue;
                }

                Fp127 xj = Fp127.FromCanonical((uint)xs[j]);
                numerator *= at - xj;
                denominator *= xi - xj;
            }

            result += ys[i] * numerator * denominator.Inverse();
        }

        return result;
    }

    /// <summary>Lagrange basis values at 0: λ_i = Π_{j≠i} x_j / (x_j − x_i), with one inversion for all of them.</summary>
    internal static Fp127[] LagrangeAtZero(ReadOnlySpan<int> xs)
    {
        int count = xs.Length;
        Fp127[] numerators = new Fp127[count];
        Fp127[] denominators = new Fp127[count];
        for (int i = 0; i < count; i++)
        {
            Fp127 numerator = Fp127.One;
            Fp127 denominator = Fp127.One;
            Fp127 xi = Fp127.FromCanonical((uint)xs[i]);
            for (int j = 0; j < count; j++)
            {
                if (j != i)
                {
                    Fp127 xj = Fp127.FromCanonical((uint)xs[j]);
                    numerator *= xj;
                    denominator *= xj - xi;
                }
            }

            numerators[i] = numerator;
            denominators[i] = denominator;
        }

        // Montgomery's trick: invert the product once, then peel off each denominator.
        Fp127[] prefix = new Fp127[count];
        Fp127 running = Fp127.One;
        for (int i = 0; i < count; i++)
        {
            prefix[i] = running;
            running *= denominators[i];
        }

        Fp127 inverse = running.Inverse();
        Fp127[] result = new Fp127[count];
        for (int i = count - 1; i >= 0; i--)
        {
            result[i] = numerators[i] * inverse * prefix[i];
            inverse *= denominators[i];
        }

        return result;
    }

    private static Fp127[] Coefficients(int[] xs, Dictionary<string, Fp127[]>? cache)
    {
        if (cache is null)
        {
            return LagrangeAtZero(xs);
        }

        string key = string.Join(',', xs);
        if (!cache.TryGetValue(key, out Fp127[]? coefficients))
        {
            coefficients = LagrangeAtZero(xs);
            cache[key] = coefficients;
        }

        return coefficients;
    }

    private static Fp127 DrawElement(ISecureRandom random, Span<byte> buffer)
    {
        while (true)
        {
            random.Fill(buffer);
            UInt128 value = BinaryPrimitives.ReadUInt128BigEndian(buffer) & Fp127.Modulus;
            if (value != Fp127.Modulus)
            {
                return Fp127.FromCanonical(value);
            }
        }
    }

    private static void ReadLimbs(ReadOnlySpan<byte> secret, Span<Fp127> limbs)
    {
        for (int limb = 0; limb < limbs.Length; limb++)
        {
            int offset = limb * LimbBytes;
            int length = Math.Min(LimbBytes, secret.Length - offset);
            UInt128 value = UInt128.Zero;
            foreach (byte b in secret.Slice(offset, length))
            {
                value = (value << 8) | b;
            }

            limbs[limb] = Fp127.FromCanonical(value);
        }
    }

    private static void WriteLimb(UInt128 value, Span<byte> destination)
    {
        for (int i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)value;
            value >>= 8;
        }
    }
}
