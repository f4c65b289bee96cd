using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Signing;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Protocol;

public sealed class SecAggMaliciousModeTests
{
    private static ProtocolHarness CreateSut(int n = 5, int t = 3, bool ecdsaIdentities = false)
        => new(SessionFactory.Create(n, t, vectorLength: 6, mode: SecAggSecurityMode.MaliciousServer), seed: 44, ecdsaIdentities: ecdsaIdentities);

    private static void AssertAborted(ClientStep step, SecAggError error)
        => Assert.Equal(error, Assert.IsType<ClientStep.Aborted>(step).Rejection.Error);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RunToEnd_SignedWithDropoutsAtEveryPoint_ReturnsExactSum(bool ecdsaIdentities)
    {
        using ProtocolHarness harness = CreateSut(n: 7, t: 4, ecdsaIdentities: ecdsaIdentities);

        ServerStep end = harness.RunToEnd(stage => stage switch
        {
            SecAggStage.CollectMaskedInputs => new HashSet<int> { 7 },
            SecAggStage.ConsistencyCheck => new HashSet<int> { 6 },
            SecAggStage.Unmasking => new HashSet<int> { 5 },
            _ => new HashSet<int>(),
        });

        SecureSum sum = Assert.IsType<ServerStep.Completed>(end).Result;
        Assert.Equal([1, 2, 3, 4, 5, 6], sum.Contributors.Select(c => c.Value));
        Assert.Equal(SessionFactory.PlainSum(harness.Inputs.Take(6), 6), sum.Sum);
        Assert.Empty(harness.ClientAborts);
    }

    [Fact]
    public void Options_ThresholdNotAboveHalfTheHolders_IsRefused()
    {
        SecAggSessionOptions options = SessionFactory.Create(6, 3, mode: SecAggSecurityMode.MaliciousServer);

        Assert.Equal("Threshold", Assert.Throws<ArgumentException>(options.Validate).ParamName);
    }

    [Fact]
    public void Client_WithoutSigner_CannotBeCreated()
    {
        SecAggSessionOptions options = SessionFactory.Create(5, 3, mode: SecAggSecurityMode.MaliciousServer);

        Assert.Throws<ArgumentNullException>(() => new SecAggClient(options, new ParticipantIndex(1), SystemSecureRandom.Instance));
    }

    [Fact]
    public void Server_UnsignedAdvertisement_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        KeyAdvertisement advertisement = (KeyAdvertisement)harness.Deliver(harness.Server.Start())[0];

        Assert.False(harness.Server.TryAccept(advertisement with { Signature = null }, out SecAggRejection? rejection));
        Assert.Equal(SecAggError.MissingSignature, rejection!.Error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Server_AdvertisementSignedByAnotherSite_IsRejected(bool ecdsaIdentities)
    {
        using ProtocolHarness harness = CreateSut(ecdsaIdentities: ecdsaIdentities);
        KeyAdvertisement advertisement = (KeyAdvertisement)harness.Deliver(harness.Server.Start())[0];
        byte[] payload = SigningPayloads.Advertisement(harness.SessionId, advertisement.Sender, advertisement.CipherPublicKey.Span, advertisement.MaskPublicKey.Span);
        byte[] otherSitesSignature = harness.Signers[2]!.Sign(payload);

        Assert.False(harness.Server.TryAccept(advertisement with { Signature = otherSitesSignature }, out SecAggRejection? rejection));
        Assert.Equal(SecAggError.InvalidSignature, rejection!.Error);
    }

    [Fact]
    public void Client_RosterWithKeySubstitutedByServer_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);
        using DeterministicSecureRandom attacker = new(12345);
        AdvertisedKeys substituted = roster.Keys[2] with { CipherPublicKey = X25519.PublicKeyOf(X25519.GeneratePrivateKey(attacker)) };

        ClientStep step = harness.Handle(roster with { Keys = [roster.Keys[0], roster.Keys[1], substituted, roster.Keys[3], roster.Keys[4]] });

        AssertAborted(step, SecAggError.InvalidSignature);
    }

    [Fact]
    public void Client_RosterWithoutSignature_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);

        ClientStep step = harness.Handle(roster with { Keys = [roster.Keys[0], roster.Keys[1] with { Signature = null }, .. roster.Keys.Skip(2)] });

        AssertAborted(step, SecAggError.MissingSignature);
    }

    [Fact]
    public void Server_ConsistencySignatureOverAnotherList_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        ServerStep.Send send = harness.RunTo(SecAggStage.ConsistencyCheck);
        ConsistencySignature signature = (ConsistencySignature)harness.Deliver(send)[0];
        byte[] overOtherList = harness.Signers[1]!.Sign(SigningPayloads.Consistency(harness.SessionId, [new ParticipantIndex(1), new ParticipantIndex(2), new ParticipantIndex(3)]));

        Assert.False(harness.Server.TryAccept(signature with { Signature = overOtherList }, out SecAggRejection? rejection));
        Assert.Equal(SecAggError.InvalidSignature, rejection!.Error);
    }

    [Fact]
    public void Client_FewerThanThresholdAttestations_AbortsWithoutRevealing()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);

        ClientStep step = harness.Handle(request with { Attestations = [.. request.Attestations.Take(2)] });

        AssertAborted(step, SecAggError.InsufficientAttestations);
    }

    [Fact]
    public void Client_AttestationsOverDifferentLists_AreNotCounted()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);
        ParticipantIndex[] otherList = [new(1), new(2), new(3)];
        List<ConsistencyAttestation> forged =
        [
            .. request.Attestations.Take(2),
            .. Enumerable.Range(3, 3).Select(i => new ConsistencyAttestation(new ParticipantIndex(i), harness.Signers[i]!.Sign(SigningPayloads.Consistency(harness.SessionId, otherList)))),
        ];

        ClientStep step = harness.Handle(request with { Attestations = forged });

        AssertAborted(step, SecAggError.InsufficientAttestations);
    }

    [Fact]
    public void Client_RepeatedAttestationsOfOneSigner_CountOnce()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);

        ClientStep step = harness.Handle(request with { Attestations = [request.Attestations[0], request.Attestations[0], request.Attestations[0]] });

        AssertAborted(step, SecAggError.InsufficientAttestations);
    }

    [Fact]
    public void Client_UnmaskingListDifferentFromSignedList_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);

        ClientStep step = harness.Handle(request with { Survivors = [.. request.Survivors.Take(4)], Dropped = [] });

        AssertAborted(step, SecAggError.SurvivorListMismatch);
    }

    [Fact]
    public void Verifier_InvalidIdentityKey_IsRefused()
    {
        Dictionary<ParticipantIndex, ReadOnlyMemory<byte>> keys = new() { [new ParticipantIndex(1)] = new byte[65] };

        Assert.Throws<ArgumentException>(() => new EcdsaP256SignatureVerifier(keys));
        Assert.Throws<ArgumentException>(() => new Ed25519SignatureVerifier(keys));
    }

    [Fact]
    public void Server_AdvertisementWithTamperedEd25519Signature_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        KeyAdvertisement advertisement = (KeyAdvertisement)harness.Deliver(harness.Server.Start())[0];
        byte[] tampered = advertisement.Signature!.Value.ToArray();
        tampered[10] ^= 0x01;

        Assert.False(harness.Server.TryAccept(advertisement with { Signature = tampered }, out SecAggRejection? rejection));
        Assert.Equal(SecAggError.InvalidSignature, rejection!.Error);
    }

    [Fact]
    public void Server_AdvertisementWithTruncatedSignature_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        KeyAdvertisement advertisement = (KeyAdvertisement)harness.Deliver(harness.Server.Start())[0];

        Assert.False(harness.Server.TryAccept(advertisement with { Signature = advertisement.Signature!.Value[..63] }, out SecAggRejection? rejection));
        Assert.Equal(SecAggError.InvalidSignature, rejection!.Error);
    }
}
