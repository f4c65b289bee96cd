using System.Diagnostics;

namespace Consortia.SecureAggregation.Sharing;

/// <summary>An element of the prime field GF(p), p = 2^127 − 1 (a Mersenne prime).</summary>
/// <remarks>
/// Products are 254-bit and reduce by folding, since 2^127 ≡ 1 (mod p): no division anywhere.
/// Values are always kept canonical in [0, p).
/// </remarks>
internal readonly struct Fp127 : IEquatable<Fp127>
{
    /// <summary>p = 2^127 − 1.</summary>
    public static readonly UInt128 Modulus = (UInt128.One << 127) - UInt128.One;

    private Fp127(UInt128 value)
    {
        Debug.Assert(value < Modulus, "field elements are canonical");
        Value = value;
    }

    public static Fp127 Zero => default;

    public static Fp127 One => new(UInt128.One);

    /// <summary>The canonical representative in [0, p).</summary>
    public UInt128 Value { get; }

    /// <summary>Creates an element from a value that must already be below p.</summary>
    public static Fp127 FromCanonical(UInt128 value)
    {
        if (value >= Modulus)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Field elements must be below 2^127 - 1.");
        }

        return new Fp127(value);
    }

    /// <summary>Reduces any 128-bit value modulo p.</summary>
    public static Fp127 Reduce(UInt128 value)
    {
        UInt128 folded = (value & Modulus) + (value >> 127);
        return new Fp127(folded >= Modulus ? folded - Modulus : folded);
    }

    public static Fp127 operator +(Fp127 left, Fp127 right)
    {
        UInt128 sum = left.Value + right.Value; // < 2^128: both operands are below 2^127
        return new Fp127(sum >= Modulus ? sum - Modulus : sum);
    }

    public static Fp127 operator -(Fp127 left, Fp127 right)
        => new(left.Value >= right.Value ? left.Value - right.Value : left.Value + (Modulus - right.Value));

    public static Fp127 operator -(Fp127 value) => Zero - value;

    public static Fp127 operator *(Fp127 left, Fp127 right)
    {
        UInt128 high = UInt128.BigMul(left.Value, right.Value, out UInt128 low);

        // x = high·2^128 + low with high < 2^126; 2^128 ≡ 2 and 2^127 ≡ 1 (mod p).
        UInt128 folded = (low & Modulus) + (low >> 127) + (high << 1);
        return Reduce(folded);
    }

    public static bool operator ==(Fp127 left, Fp127 right) => left.Value == right.Value;

    public static bool operator !=(Fp127 left, Fp127 right) => left.Value != right.Value;

    /// <summary>The multiplicative inverse by Fermat's little theorem (a^(p−2)).</summary>
    public Fp127 Inverse()
    {
        if (Value == UInt128.Zero)
        {
            throw new DivideByZeroException("Zero has no inverse in GF(p).");
        }

        return Pow(Modulus - 2);
    }

    /// <summary>Raises this element to <paramref name="exponent"/> by square-and-multiply.</summary>
    public Fp127 Pow(UInt128 exponent)
    {
        Fp127 result = One;
        Fp127 square = this;
        while (exponent != UInt128.Zero)
        {
            if ((exponent & UInt128.One) != UInt128.Zero)
            {
                result *= square;
            }

            square *= square;
            exponent >>= 1;
        }

        return result;
    }

    public bool Equals(Fp127 other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is Fp127 other && Equals(other);

    public override int GetHashCode() => Value.GetHashCode();

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
