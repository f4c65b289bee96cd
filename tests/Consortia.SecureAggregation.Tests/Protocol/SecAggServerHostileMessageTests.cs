using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Protocol;

public sealed class SecAggServerHostileMessageTests
{
    private static ProtocolHarness CreateSut(int n = 4, int t = 3, int? k = null)
        => new(SessionFactory.Create(n, t, vectorLength: 4, neighbours: k), seed: 33);

    private static SecAggRejection AssertRejected(ProtocolHarness harness, SecAggClientMessage message, SecAggError error)
    {
        bool accepted = harness.Server.TryAccept(message, out SecAggRejection? rejection);
        Assert.False(accepted);
        Assert.Equal(error, rejection!.Error);
        return rejection;
    }

    private static KeyAdvertisement Advertisement(ProtocolHarness harness, int participant)
        => Assert.IsType<KeyAdvertisement>(Assert.IsType<ClientStep.Reply>(harness.Clients[participant].Handle(new AdvertiseKeysRequest(harness.SessionId, new ParticipantIndex(participant)))).Message);

    [Fact]
    public void TryAccept_MessageOfAnotherSession_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        harness.Server.Start();
        KeyAdvertisement advertisement = Advertisement(harness, 1);
        SessionId other = SessionFactory.Create(4, 3, vectorLength: 4, jobId: "other-job").ComputeSessionId();

        AssertRejected(harness, advertisement with { Session = other }, SecAggError.WrongSession);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(-3)]
    public void TryAccept_SenderOutsideTheSession_IsRejected(int sender)
    {
        using ProtocolHarness harness = CreateSut();
        harness.Server.Start();
        KeyAdvertisement advertisement = Advertisement(harness, 1);

        AssertRejected(harness, advertisement with { Sender = new ParticipantIndex(sender) }, SecAggError.UnknownParticipant);
    }

    [Fact]
    public void TryAccept_MessageOfAnotherStage_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        harness.Server.Start();

        AssertRejected(harness, new MaskedInput(harness.SessionId, new ParticipantIndex(1), new uint[4]), SecAggError.WrongStage);
    }

    [Fact]
    public void TryAccept_BeforeStart_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();

        AssertRejected(harness, Advertisement(harness, 1), SecAggError.WrongStage);
    }

    [Fact]
    public void TryAccept_SecondAdvertisementFromSameSender_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        harness.Server.Start();
        KeyAdvertisement advertisement = Advertisement(harness, 1);
        Assert.True(harness.Server.TryAccept(advertisement, out _));

        AssertRejected(harness, advertisement, SecAggError.DuplicateMessage);
    }

    [Fact]
    public void TryAccept_KeyOfWrongLength_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        harness.Server.Start();
        KeyAdvertisement advertisement = Advertisement(harness, 1);

        AssertRejected(harness, advertisement with { MaskPublicKey = advertisement.MaskPublicKey[..31] }, SecAggError.WrongLength);
    }

    [Theory]
    [MemberData(nameof(SmallOrderKeys))]
    public void TryAccept_KeyOfSmallOrder_IsRejected(byte[] smallOrder)
    {
        using ProtocolHarness harness = CreateSut();
        harness.Server.Start();
        KeyAdvertisement advertisement = Advertisement(harness, 1);

        AssertRejected(harness, advertisement with { CipherPublicKey = smallOrder }, SecAggError.InvalidPublicKey);
        AssertRejected(harness, advertisement with { MaskPublicKey = smallOrder }, SecAggError.InvalidPublicKey);
    }

    /// <summary>X25519 u-coordinates of small order: 0, 1, and the non-canonical encodings of p and p + 1 (≡ 0 and 1).</summary>
    public static TheoryData<byte[]> SmallOrderKeys() => new(
        new byte[32],
        [1, .. new byte[31]],
        [0xED, .. Enumerable.Repeat((byte)0xFF, 30), 0x7F],
        [0xEE, .. Enumerable.Repeat((byte)0xFF, 30), 0x7F]);

    [Fact]
    public void TryAccept_KeyAlreadyAdvertisedByAnother_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        harness.Server.Start();
        KeyAdvertisement first = Advertisement(harness, 1);
        Assert.True(harness.Server.TryAccept(first, out _));
        KeyAdvertisement second = Advertisement(harness, 2);

        AssertRejected(harness, second with { MaskPublicKey = first.MaskPublicKey }, SecAggError.DuplicatePublicKey);
        AssertRejected(harness, second with { MaskPublicKey = second.CipherPublicKey }, SecAggError.DuplicatePublicKey);
    }

    [Fact]
    public void TryAccept_SharesMissingANeighbour_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        EncryptedShares shares = (EncryptedShares)harness.Deliver(harness.RunTo(SecAggStage.ShareKeys))[0];

        AssertRejected(harness, shares with { Shares = [.. shares.Shares.Skip(1)] }, SecAggError.WrongShareSet);
    }

    [Fact]
    public void TryAccept_ShareClaimingAnotherSender_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        EncryptedShares shares = (EncryptedShares)harness.Deliver(harness.RunTo(SecAggStage.ShareKeys))[0];
        EncryptedShare forged = shares.Shares[0] with { Sender = new ParticipantIndex(2) };

        AssertRejected(harness, shares with { Shares = [forged, .. shares.Shares.Skip(1)] }, SecAggError.WrongShareSet);
    }

    [Fact]
    public void TryAccept_TwoSharesForOneHolder_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        EncryptedShares shares = (EncryptedShares)harness.Deliver(harness.RunTo(SecAggStage.ShareKeys))[0];

        AssertRejected(harness, shares with { Shares = [shares.Shares[0], shares.Shares[0], shares.Shares[1]] }, SecAggError.WrongShareSet);
    }

    [Fact]
    public void TryAccept_ShareForNonNeighbour_IsRejected()
    {
        using ProtocolHarness harness = CreateSut(n: 8, t: 2, k: 2);
        EncryptedShares shares = (EncryptedShares)harness.Deliver(harness.RunTo(SecAggStage.ShareKeys))[0];
        HashSet<int> neighbours = [.. shares.Shares.Select(s => s.Recipient.Value)];
        int stranger = Enumerable.Range(2, 7).First(p => !neighbours.Contains(p));

        AssertRejected(harness, shares with { Shares = [shares.Shares[0] with { Recipient = new ParticipantIndex(stranger) }, shares.Shares[1]] }, SecAggError.NotANeighbour);
    }

    [Fact]
    public void TryAccept_ShareCiphertextOfWrongLength_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        EncryptedShares shares = (EncryptedShares)harness.Deliver(harness.RunTo(SecAggStage.ShareKeys))[0];
        EncryptedShare shorter = shares.Shares[0] with { Ciphertext = shares.Shares[0].Ciphertext[..10] };

        AssertRejected(harness, shares with { Shares = [shorter, .. shares.Shares.Skip(1)] }, SecAggError.WrongLength);
    }

    [Fact]
    public void TryAccept_SharesFromParticipantThatNeverAdvertised_IsRejected()
    {
        using ProtocolHarness harness = CreateSut(n: 5);
        ServerStep.Send send = harness.RunTo(SecAggStage.ShareKeys, silent: new HashSet<int> { 5 });
        EncryptedShares shares = (EncryptedShares)harness.Deliver(send)[0];

        AssertRejected(harness, shares with { Sender = new ParticipantIndex(5) }, SecAggError.UnknownParticipant);
    }

    [Fact]
    public void TryAccept_MaskedInputOfWrongLength_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        harness.RunTo(SecAggStage.CollectMaskedInputs);

        AssertRejected(harness, new MaskedInput(harness.SessionId, new ParticipantIndex(1), new uint[5]), SecAggError.WrongLength);
    }

    [Fact]
    public void TryAccept_MaskedInputAfterStageClosed_IsDiscardedForever()
    {
        using ProtocolHarness harness = CreateSut(n: 5);
        ServerStep.Send send = harness.RunTo(SecAggStage.CollectMaskedInputs);
        List<SecAggClientMessage> replies = harness.Deliver(send);
        harness.AcceptAll(replies.Where(r => r.Sender.Value != 5));
        ServerStep.Send unmasking = Assert.IsType<ServerStep.Send>(harness.Server.Advance());

        AssertRejected(harness, replies.Single(r => r.Sender.Value == 5), SecAggError.WrongStage);
        harness.AcceptAll(harness.Deliver(unmasking));
        SecureSum sum = Assert.IsType<ServerStep.Completed>(harness.Server.Advance()).Result;
        Assert.Equal([1, 2, 3, 4], sum.Contributors.Select(c => c.Value));
        Assert.Equal(SessionFactory.PlainSum(harness.Inputs.Take(4), 4), sum.Sum);
    }

    [Fact]
    public void TryAccept_RevealedShareOfUnrequestedKind_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingShares shares = (UnmaskingShares)harness.Deliver(harness.RunTo(SecAggStage.Unmasking))[0];
        RevealedShare wrongKind = shares.Shares[1] with { Kind = SecretKind.MaskPrivateKey };

        AssertRejected(harness, shares with { Shares = [shares.Shares[0], wrongKind, .. shares.Shares.Skip(2)] }, SecAggError.UnrequestedShare);
    }

    [Fact]
    public void TryAccept_RevealedSharesMissingOne_IsRejected()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingShares shares = (UnmaskingShares)harness.Deliver(harness.RunTo(SecAggStage.Unmasking))[0];

        AssertRejected(harness, shares with { Shares = [.. shares.Shares.Skip(1)] }, SecAggError.UnrequestedShare);
    }

    [Fact]
    public void TryAccept_RevealedShareOfAnotherHolder_IsRejectedAsMalformed()
    {
        using ProtocolHarness harness = CreateSut();
        List<SecAggClientMessage> all = harness.Deliver(harness.RunTo(SecAggStage.Unmasking));
        UnmaskingShares first = (UnmaskingShares)all[0];
        UnmaskingShares second = (UnmaskingShares)all[1];
        RevealedShare stolen = second.Shares.Single(s => s.Owner == first.Shares[0].Owner);

        AssertRejected(harness, first with { Shares = [stolen, .. first.Shares.Skip(1)] }, SecAggError.MalformedShare);
    }

    [Fact]
    public void Advance_ForgedPrivateKeyShare_FailsWithReconstructionError()
    {
        using ProtocolHarness harness = CreateSut(n: 5, t: 3);
        ServerStep.Send send = harness.Server.Start();
        harness.AcceptAll(harness.Deliver(send));
        send = (ServerStep.Send)harness.Server.Advance();
        harness.AcceptAll(harness.Deliver(send));
        send = (ServerStep.Send)harness.Server.Advance();
        harness.AcceptAll(harness.Deliver(send, silent: new HashSet<int> { 5 }));
        send = (ServerStep.Send)harness.Server.Advance();
        List<SecAggClientMessage> reveals = harness.Deliver(send);
        UnmaskingShares liar = (UnmaskingShares)reveals[0];
        RevealedShare keyShare = liar.Shares.Single(s => s.Kind == SecretKind.MaskPrivateKey);
        byte[] forged = keyShare.Share.ToArray();
        forged[^1] ^= 0x01; // still a well-formed share of the right holder, but of another polynomial

        harness.AcceptAll([liar with { Shares = [.. liar.Shares.Select(s => s == keyShare ? s with { Share = forged } : s)] }, .. reveals.Skip(1)]);
        ServerStep end = harness.Server.Advance();

        Assert.Equal(SecAggError.ReconstructionFailed, Assert.IsType<ServerStep.Failed>(end).Failure.Error);
    }

    [Theory]
    [InlineData(SecAggStage.AdvertiseKeys)]
    [InlineData(SecAggStage.ShareKeys)]
    [InlineData(SecAggStage.CollectMaskedInputs)]
    [InlineData(SecAggStage.Unmasking)]
    public void Advance_TooManyDropoutsAtStage_FailsAtThatStageWithoutOutput(SecAggStage stage)
    {
        using ProtocolHarness harness = CreateSut(n: 5, t: 3);
        HashSet<int> silent = [3, 4, 5];

        ServerStep end = harness.RunToEnd(s => s == stage ? silent : new HashSet<int>());

        SecAggFailure failure = Assert.IsType<ServerStep.Failed>(end).Failure;
        Assert.Equal((SecAggError.InsufficientSurvivors, stage), (failure.Error, failure.Stage));
        Assert.Equal(SecAggStage.Failed, harness.Server.Stage);
        Assert.Throws<InvalidOperationException>(() => harness.Server.Advance());
    }

    [Fact]
    public void IsStageComplete_TracksPendingParticipants()
    {
        using ProtocolHarness harness = CreateSut();
        ServerStep.Send send = harness.Server.Start();
        List<SecAggClientMessage> replies = harness.Deliver(send);

        harness.AcceptAll(replies.Take(3));
        Assert.False(harness.Server.IsStageComplete);
        Assert.Equal([new ParticipantIndex(4)], harness.Server.Pending);
        harness.AcceptAll(replies.Skip(3));

        Assert.True(harness.Server.IsStageComplete);
    }

    [Fact]
    public void Start_Twice_Throws()
    {
        using ProtocolHarness harness = CreateSut();
        harness.Server.Start();

        Assert.Throws<InvalidOperationException>(() => harness.Server.Start());
    }
}
