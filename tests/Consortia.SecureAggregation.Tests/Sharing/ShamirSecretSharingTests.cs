using System.Buffers.Binary;
using System.Numerics;

using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Sharing;

using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Consortia.SecureAggregation.Tests.Sharing;

public sealed class ShamirSecretSharingTests
{
    private static readonly byte[] Secret32 = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    [Fact]
    public void Split_TinySecretWithWrappingPolynomial_GivesReferenceSharesAndAnyTwoReconstruct()
    {
        Fp127[,] coefficients = { { Fp127.FromCanonical(Fp127.Modulus - 1) } };

        byte[][] shares = ShamirSecretSharing.Split([42], [1, 2, 3], coefficients);

        Assert.Equal([41UL, 40UL, 39UL], shares.Select(s => (ulong)BinaryPrimitives.ReadUInt128BigEndian(s.AsSpan(4))));
        foreach ((int a, int b) in new[] { (0, 1), (0, 2), (1, 2), (2, 0) })
        {
            byte[] secret = new byte[1];
            Assert.True(ShamirSecretSharing.TryReconstruct([shares[a], shares[b]], 2, secret, out ShamirError error), error.ToString());
            Assert.Equal(42, secret[0]);
        }
    }

    [Fact]
    public void Split_ReferenceSecretAndCoefficients_GivesReferenceEncodedShares()
    {
        Fp127[,] coefficients = new Fp127[3, 2];
        for (int limb = 0; limb < 3; limb++)
        {
            coefficients[limb, 0] = Fp127.FromCanonical((UInt128.One << 126) + (uint)limb);
            coefficients[limb, 1] = Fp127.FromCanonical((UInt128)BigInteger.Pow(3, 70) + (uint)limb);
        }

        byte[][] shares = ShamirSecretSharing.Split(Secret32, [1, 2, 3, 4, 5], coefficients);

        string[] expected =
        [
            "0000000140007c6c46abf49626daa81004f444e7400f8b7b55bb03a535e9b71f140353f840007b6a43a7ef901fd29f05f9e855fc",
            "000000020001eeab11a3c34686528521f2acec730010fdba20b2d2559561943101bbfb880001eda90e9fbe407f4a7c17e7a0fd90",
            "00000003400457be63eb7117256fa03fd43603b0401366cd72fa8026347eaf4ee34512cb400456bc60e76c111e679735c92a14d9",
            "000000040007b7a63d82fe080431f969a98f8aa00016c6b54c920d1713410878b89e99c30007b6a43a7ef901fd29f05f9e839bd9",
            "00000005400c0e629e6a6a192299909f72b98141401b1d71ad79792831a89fae81c8906e400c0d609b6665131b91879567ad928e",
        ];
        Assert.Equal(expected, shares.Select(Convert.ToHexStringLower));
    }

    [Theory]
    [InlineData(new[] { 1, 2, 3 })]
    [InlineData(new[] { 1, 3, 5 })]
    [InlineData(new[] { 2, 4, 5 })]
    [InlineData(new[] { 5, 1, 4, 2 })]
    public void TryReconstruct_ReferenceSharesSubset_GivesSecret(int[] xs)
    {
        byte[][] shares = ReferenceShares();
        ReadOnlyMemory<byte>[] subset = [.. xs.Select(x => (ReadOnlyMemory<byte>)shares[x - 1])];
        byte[] secret = new byte[32];

        bool ok = ShamirSecretSharing.TryReconstruct(subset, 3, secret, out ShamirError error);

        Assert.True(ok, error.ToString());
        Assert.Equal(Secret32, secret);
    }

    [Fact]
    public void Interpolate_TwoReferenceSharesOfThreshold3_GivesReferenceWrongValue()
    {
        byte[][] shares = ReferenceShares();
        Fp127[] ys = [.. shares.Take(2).Select(s => Fp127.FromCanonical(BinaryPrimitives.ReadUInt128BigEndian(s.AsSpan(4, 16))))];

        Fp127 atZero = ShamirSecretSharing.Interpolate([1, 2], ys, Fp127.Zero);

        Assert.Equal(UInt128.Parse("7fff0a2d7bb425e5c762cafe173b9d5b", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture), atZero.Value);
    }

    public static Arbitrary<(int Threshold, int Holders, int Seed)> Configurations() =>
        (from holders in Gen.Choose(1, 50)
         from threshold in Gen.Choose(1, holders)
         from seed in Gen.Choose(0, int.MaxValue)
         select (threshold, holders, seed)).ToArbitrary();

    [Property(MaxTest = 60, Arbitrary = [typeof(ShamirSecretSharingTests)])]
    public void Split_RandomSecret_AnyThresholdSubsetReconstructsAndFewerRefuse((int Threshold, int Holders, int Seed) configuration)
    {
        (int t, int m, int seed) = configuration;
        using DeterministicSecureRandom random = new((ulong)seed);
        byte[] secret = new byte[32];
        random.Fill(secret);
        Random picker = new(seed);
        int[] xs = [.. Enumerable.Range(1, 200).OrderBy(_ => picker.Next()).Take(m)];

        byte[][] shares = ShamirSecretSharing.Split(secret, t, xs, random);

        ReadOnlyMemory<byte>[] subset = [.. shares.OrderBy(_ => picker.Next()).Take(t).Select(s => (ReadOnlyMemory<byte>)s)];
        byte[] reconstructed = new byte[32];
        Assert.True(ShamirSecretSharing.TryReconstruct(subset, t, reconstructed, out ShamirError error), error.ToString());
        Assert.Equal(secret, reconstructed);
        Assert.False(ShamirSecretSharing.TryReconstruct(subset[..(t - 1)], t, reconstructed, out error));
        Assert.Equal(ShamirError.TooFewShares, error);
    }

    [Fact]
    public void Split_SmallCase_EveryThresholdSubsetReconstructs()
    {
        using DeterministicSecureRandom random = new(11);
        byte[][] shares = ShamirSecretSharing.Split(Secret32, 3, [1, 2, 3, 4, 5, 6], random);
        int subsets = 0;

        for (int mask = 0; mask < 64; mask++)
        {
            if (BitOperations.PopCount((uint)mask) != 3)
            {
                continue;
            }

            ReadOnlyMemory<byte>[] subset = [.. Enumerable.Range(0, 6).Where(i => (mask & (1 << i)) != 0).Select(i => (ReadOnlyMemory<byte>)shares[i])];
            byte[] secret = new byte[32];
            Assert.True(ShamirSecretSharing.TryReconstruct(subset, 3, secret, out _));
            Assert.Equal(Secret32, secret);
            subsets++;
        }

        Assert.Equal(20, subsets);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void Split_ThresholdMinusOneShares_EveryCandidateSecretIsConsistent(int t)
    {
        using DeterministicSecureRandom random = new(5);
        byte[][] shares = ShamirSecretSharing.Split([7, 7, 7], t, [.. Enumerable.Range(1, t + 1)], random);
        int[] knownXs = [.. Enumerable.Range(1, t - 1)];
        Fp127[] knownYs = [.. shares.Take(t - 1).Select(Limb0)];
        Fp127 trueSecret = Fp127.FromCanonical(0x070707);
        Fp127 nextShare = Limb0(shares[t - 1]);

        foreach (ulong candidate in new ulong[] { 0, 1, 0x070707, 0xFFFFFF, 123456 })
        {
            // The t − 1 shares plus (0, candidate) determine a degree t − 1 polynomial that passes through every known share...
            int[] xs = [0, .. knownXs];
            Fp127[] ys = [Fp127.FromCanonical(candidate), .. knownYs];
            for (int i = 0; i < knownXs.Length; i++)
            {
                Assert.Equal(knownYs[i], ShamirSecretSharing.Interpolate(xs, ys, Fp127.FromCanonical((uint)knownXs[i])));
            }

            // ...and only the true secret's polynomial also predicts the t-th share: nothing but that share singles it out.
            Fp127 predicted = ShamirSecretSharing.Interpolate(xs, ys, Fp127.FromCanonical((uint)t));
            Assert.Equal(Fp127.FromCanonical(candidate) == trueSecret, predicted == nextShare);
        }
    }

    [Fact]
    public void Split_ThresholdMinusOneShares_InterpolatedValueIsUniformlySpread()
    {
        // Share the same secret 2,000 times with t = 3 and interpolate at 0 from only 2 shares: the result
        // must be spread uniformly over the field (chi-square on its top 4 bits), not near the secret.
        using DeterministicSecureRandom random = new(99);
        int[] counts = new int[16];
        int trials = 2000;
        for (int trial = 0; trial < trials; trial++)
        {
            byte[][] shares = ShamirSecretSharing.Split([42], 3, [1, 2, 3], random);
            Fp127 guess = ShamirSecretSharing.Interpolate([1, 2], [Limb0(shares[0]), Limb0(shares[1])], Fp127.Zero);
            Assert.NotEqual(42UL, (ulong)guess.Value);
            counts[(int)(guess.Value >> 123)]++;
        }

        double expected = trials / 16.0;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < 45.0, $"chi-square {chiSquare:F1} with 15 degrees of freedom (p < 1e-4 above 45)");
    }

    [Fact]
    public void Split_SameInjectedSeed_IsDeterministic()
    {
        using DeterministicSecureRandom first = new(3), second = new(3), other = new(4);

        byte[][] a = ShamirSecretSharing.Split(Secret32, 4, [1, 2, 3, 4, 5], first);
        byte[][] b = ShamirSecretSharing.Split(Secret32, 4, [1, 2, 3, 4, 5], second);
        byte[][] c = ShamirSecretSharing.Split(Secret32, 4, [1, 2, 3, 4, 5], other);

        Assert.Equal(a, b);
        Assert.NotEqual(a[0], c[0]);
    }

    [Fact]
    public void TryReconstruct_DuplicateCoordinate_IsRejected()
    {
        byte[][] shares = ReferenceShares();

        bool ok = ShamirSecretSharing.TryReconstruct([shares[0], shares[1], shares[0]], 3, new byte[32], out ShamirError error);

        Assert.False(ok);
        Assert.Equal(ShamirError.DuplicateCoordinate, error);
    }

    [Fact]
    public void TryReconstruct_ZeroCoordinate_IsRejected()
    {
        byte[][] shares = ReferenceShares();
        byte[] zero = (byte[])shares[2].Clone();
        BinaryPrimitives.WriteUInt32BigEndian(zero, 0);

        bool ok = ShamirSecretSharing.TryReconstruct([shares[0], shares[1], zero], 3, new byte[32], out ShamirError error);

        Assert.False(ok);
        Assert.Equal(ShamirError.ZeroCoordinate, error);
    }

    [Fact]
    public void TryReconstruct_WrongLength_IsRejected()
    {
        byte[][] shares = ReferenceShares();

        bool ok = ShamirSecretSharing.TryReconstruct([shares[0], shares[1], shares[2].AsMemory(0, shares[2].Length - 1)], 3, new byte[32], out ShamirError error);

        Assert.False(ok);
        Assert.Equal(ShamirError.WrongLength, error);
    }

    [Fact]
    public void TryReconstruct_LimbNotBelowModulus_IsRejected()
    {
        byte[][] shares = ReferenceShares();
        byte[] outOfField = (byte[])shares[2].Clone();
        BinaryPrimitives.WriteUInt128BigEndian(outOfField.AsSpan(4), Fp127.Modulus);

        bool ok = ShamirSecretSharing.TryReconstruct([shares[0], shares[1], outOfField], 3, new byte[32], out ShamirError error);

        Assert.False(ok);
        Assert.Equal(ShamirError.LimbOutOfField, error);
    }

    [Fact]
    public void TryReconstruct_SharesOfDifferentSharings_IsRejectedAsOverflow()
    {
        using DeterministicSecureRandom random = new(8);
        byte[][] first = ShamirSecretSharing.Split(Secret32, 3, [1, 2, 3], random);
        byte[][] second = ShamirSecretSharing.Split(Secret32, 3, [1, 2, 3], random);
        byte[] secret = new byte[32];

        bool ok = ShamirSecretSharing.TryReconstruct([first[0], first[1], second[2]], 3, secret, out ShamirError error);

        Assert.False(ok);
        Assert.Equal(ShamirError.LimbOverflow, error);
        Assert.All(secret, b => Assert.Equal(0, b));
    }

    private static Fp127 Limb0(byte[] share) => Fp127.FromCanonical(BinaryPrimitives.ReadUInt128BigEndian(share.AsSpan(4, 16)));

    private static byte[][] ReferenceShares() =>
    [
        Convert.FromHexString("0000000140007c6c46abf49626daa81004f444e7400f8b7b55bb03a535e9b71f140353f840007b6a43a7ef901fd29f05f9e855fc"),
        Convert.FromHexString("000000020001eeab11a3c34686528521f2acec730010fdba20b2d2559561943101bbfb880001eda90e9fbe407f4a7c17e7a0fd90"),
        Convert.FromHexString("00000003400457be63eb7117256fa03fd43603b0401366cd72fa8026347eaf4ee34512cb400456bc60e76c111e679735c92a14d9"),
        Convert.FromHexString("000000040007b7a63d82fe080431f969a98f8aa00016c6b54c920d1713410878b89e99c30007b6a43a7ef901fd29f05f9e839bd9"),
        Convert.FromHexString("00000005400c0e629e6a6a192299909f72b98141401b1d71ad79792831a89fae81c8906e400c0d609b6665131b91879567ad928e"),
    ];
}
