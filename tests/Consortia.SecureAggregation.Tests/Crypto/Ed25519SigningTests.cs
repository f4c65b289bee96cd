using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Signing;

namespace Consortia.SecureAggregation.Tests.Crypto;

public sealed class Ed25519SigningTests
{
    // RFC 8032 §7.1, test 1 (empty message).
    private static readonly byte[] Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    private static readonly byte[] Public = Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    private static readonly byte[] Signature = Convert.FromHexString(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

    private static readonly ParticipantIndex Alice = new(1);
    private static readonly ParticipantIndex Bob = new(2);

    [Fact]
    public void Sign_Rfc8032Vector_GivesTheRfcKeyAndSignature()
    {
        using Ed25519Signer signer = Ed25519Signer.Create(new FixedBytes(Seed));

        Assert.Equal(Public, signer.PublicKey.ToArray());
        Assert.Equal(Signature, signer.Sign([]));
    }

    [Fact]
    public void Verify_Rfc8032Vector_Holds()
    {
        Ed25519SignatureVerifier verifier = new(new Dictionary<ParticipantIndex, ReadOnlyMemory<byte>> { [Alice] = Public });

        Assert.True(verifier.Verify(Alice, [], Signature));
    }

    [Fact]
    public void Verify_WrongKeyTamperedPayloadOrSignature_IsFalse()
    {
        using DeterministicSecureRandom aliceRandom = new(1), bobRandom = new(2);
        using Ed25519Signer alice = Ed25519Signer.Create(aliceRandom);
        using Ed25519Signer bob = Ed25519Signer.Create(bobRandom);
        Ed25519SignatureVerifier verifier = new(new Dictionary<ParticipantIndex, ReadOnlyMemory<byte>> { [Alice] = alice.PublicKey, [Bob] = bob.PublicKey });
        byte[] payload = "consortia secagg advertisement"u8.ToArray();
        byte[] signature = alice.Sign(payload);
        byte[] flipped = (byte[])signature.Clone();
        flipped[40] ^= 0x04;
        byte[] otherPayload = (byte[])payload.Clone();
        otherPayload[0] ^= 0x01;

        Assert.True(verifier.Verify(Alice, payload, signature));
        Assert.False(verifier.Verify(Bob, payload, signature));
        Assert.False(verifier.Verify(Alice, otherPayload, signature));
        Assert.False(verifier.Verify(Alice, payload, flipped));
        Assert.False(verifier.Verify(Alice, payload, signature.AsSpan(0, 63)));
        Assert.False(verifier.Verify(Alice, payload, [.. signature, 0]));
        Assert.False(verifier.Verify(new ParticipantIndex(3), payload, signature));
    }

    [Fact]
    public void Create_SameSeed_GivesSameKey()
    {
        using DeterministicSecureRandom first = new(9), second = new(9);
        using Ed25519Signer a = Ed25519Signer.Create(first);
        using Ed25519Signer b = Ed25519Signer.Create(second);

        Assert.Equal(a.PublicKey.ToArray(), b.PublicKey.ToArray());
    }

    /// <summary>Hands out fixed bytes once, to import a known seed.</summary>
    private sealed class FixedBytes(byte[] bytes) : ISecureRandom
    {
        public void Fill(Span<byte> destination) => bytes.AsSpan(0, destination.Length).CopyTo(destination);
    }
}
