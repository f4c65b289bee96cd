using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Tests.Crypto;

public sealed class X25519Tests
{
    // RFC 7748 §6.1.
    private static readonly byte[] AlicePrivate = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    private static readonly byte[] AlicePublic = Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    private static readonly byte[] BobPrivate = Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    private static readonly byte[] BobPublic = Convert.FromHexString("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    private static readonly byte[] Shared = Convert.FromHexString("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

    [Fact]
    public void PublicKeyOf_Rfc7748Vectors_MatchesTheRfc()
    {
        Assert.Equal(AlicePublic, X25519.PublicKeyOf(AlicePrivate));
        Assert.Equal(BobPublic, X25519.PublicKeyOf(BobPrivate));
    }

    [Fact]
    public void TryAgree_Rfc7748Vectors_BothSidesGetTheRfcSecret()
    {
        byte[] ab = new byte[32], ba = new byte[32];

        Assert.True(X25519.TryAgree(AlicePrivate, BobPublic, ab));
        Assert.True(X25519.TryAgree(BobPrivate, AlicePublic, ba));

        Assert.Equal(Shared, ab);
        Assert.Equal(Shared, ba);
    }

    [Fact]
    public void GeneratePrivateKey_SameSeed_GivesSameKey_OtherSeed_Differs()
    {
        using DeterministicSecureRandom first = new(1), second = new(1), other = new(2);

        byte[] a = X25519.GeneratePrivateKey(first);
        byte[] aAgain = X25519.GeneratePrivateKey(second);
        byte[] b = X25519.GeneratePrivateKey(other);

        Assert.Equal(X25519.PublicKeyOf(a), X25519.PublicKeyOf(aAgain));
        Assert.NotEqual(X25519.PublicKeyOf(a), X25519.PublicKeyOf(b));
    }

    [Fact]
    public void TryAgree_WrongPeerKey_GivesADifferentSecret()
    {
        using DeterministicSecureRandom random = new(3);
        byte[] mallory = X25519.GeneratePrivateKey(random);
        byte[] withMallory = new byte[32];

        Assert.True(X25519.TryAgree(AlicePrivate, X25519.PublicKeyOf(mallory), withMallory));

        Assert.NotEqual(Shared, withMallory);
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    [InlineData("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    [InlineData("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    public void TryAgree_PeerKeyOfSmallOrder_FailsAndClearsTheOutput(string hex)
    {
        byte[] smallOrder = Convert.FromHexString(hex);
        byte[] secret = [.. Enumerable.Repeat((byte)0xAA, 32)];

        Assert.False(X25519.TryAgree(AlicePrivate, smallOrder, secret));

        Assert.All(secret, b => Assert.Equal(0, b));
        Assert.False(X25519.IsValidPublicKey(smallOrder));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(65)]
    public void IsValidPublicKey_WrongLength_IsFalse(int length)
        => Assert.False(X25519.IsValidPublicKey(new byte[length]));

    [Fact]
    public void IsValidPublicKey_GeneratedKeys_AreValid()
    {
        Assert.True(X25519.IsValidPublicKey(AlicePublic));
        Assert.True(X25519.IsValidPublicKey(BobPublic));
    }
}
