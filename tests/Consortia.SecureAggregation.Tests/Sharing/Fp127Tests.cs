using System.Numerics;

using Consortia.SecureAggregation.Sharing;

using FsCheck.Xunit;

namespace Consortia.SecureAggregation.Tests.Sharing;

public sealed class Fp127Tests
{
    private static readonly BigInteger P = (BigInteger.One << 127) - 1;

    [Property(MaxTest = 100)]
    public bool Multiply_RandomElements_MatchesBigIntegerReference(ulong ah, ulong al, ulong bh, ulong bl)
    {
        Fp127 a = Element(ah, al), b = Element(bh, bl);
        return (BigInteger)(a * b).Value == (BigInteger)a.Value * b.Value % P;
    }

    [Property(MaxTest = 100)]
    public bool AddSubtract_RandomElements_MatchBigIntegerReference(ulong ah, ulong al, ulong bh, ulong bl)
    {
        Fp127 a = Element(ah, al), b = Element(bh, bl);
        return (BigInteger)(a + b).Value == ((BigInteger)a.Value + b.Value) % P
            && (BigInteger)(a - b).Value == ((((BigInteger)a.Value - b.Value) % P) + P) % P;
    }

    [Property(MaxTest = 100)]
    public bool Multiply_IsDistributive(ulong ah, ulong al, ulong bh, ulong bl, ulong ch, ulong cl)
    {
        Fp127 a = Element(ah, al), b = Element(bh, bl), c = Element(ch, cl);
        return a * (b + c) == (a * b) + (a * c);
    }

    [Property(MaxTest = 60)]
    public bool Inverse_NonZero_TimesElementIsOneAndMatchesExtendedEuclid(ulong ah, ulong al)
    {
        Fp127 a = Element(ah, al);
        if (a == Fp127.Zero)
        {
            return true;
        }

        Fp127 inverse = a.Inverse();
        return a * inverse == Fp127.One && (BigInteger)inverse.Value == ExtendedEuclidInverse(a.Value);
    }

    [Fact]
    public void Add_PMinusOnePlusOne_IsZero()
    {
        Fp127 minusOne = Fp127.FromCanonical(Fp127.Modulus - 1);

        Fp127 sum = minusOne + Fp127.One;

        Assert.Equal(Fp127.Zero, sum);
    }

    [Fact]
    public void Multiply_LargestElements_ReducesCorrectly()
    {
        Fp127 minusOne = Fp127.FromCanonical(Fp127.Modulus - 1);

        Fp127 square = minusOne * minusOne;

        Assert.Equal(Fp127.One, square);
    }

    [Fact]
    public void FromCanonical_Modulus_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Fp127.FromCanonical(Fp127.Modulus));

    [Fact]
    public void Inverse_Zero_Throws() => Assert.Throws<DivideByZeroException>(() => Fp127.Zero.Inverse());

    private static Fp127 Element(ulong high, ulong low) => Fp127.Reduce(((UInt128)high << 64) | low);

    private static BigInteger ExtendedEuclidInverse(UInt128 value)
    {
        BigInteger oldR = value, r = P, oldS = 1, s = 0;
        while (r != 0)
        {
            BigInteger q = oldR / r;
            (oldR, r) = (r, oldR - (q * r));
            (oldS, s) = (s, oldS - (q * s));
        }

        return ((oldS % P) + P) % P;
    }
}
