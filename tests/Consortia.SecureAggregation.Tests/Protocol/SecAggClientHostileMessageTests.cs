using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Protocol;

public sealed class SecAggClientHostileMessageTests
{
    private static ProtocolHarness CreateSut(int n = 4, int t = 3, int? k = null, bool provideInputs = true)
        => new(SessionFactory.Create(n, t, vectorLength: 4, neighbours: k), seed: 21, provideInputs: provideInputs);

    private static SecAggRejection AssertAborted(ClientStep step, SecAggError error)
    {
        SecAggRejection rejection = Assert.IsType<ClientStep.Aborted>(step).Rejection;
        Assert.Equal(error, rejection.Error);
        return rejection;
    }

    [Fact]
    public void Handle_MessageOfAnotherSession_IsIgnoredAndSessionContinues()
    {
        using ProtocolHarness harness = CreateSut();
        SessionId other = SessionFactory.Create(4, 3, vectorLength: 4, round: 2).ComputeSessionId();

        ClientStep step = harness.Clients[1].Handle(new AdvertiseKeysRequest(other, new ParticipantIndex(1)));

        Assert.Equal(SecAggError.WrongSession, Assert.IsType<ClientStep.Rejected>(step).Rejection.Error);
        Assert.IsType<ClientStep.Reply>(harness.Clients[1].Handle(new AdvertiseKeysRequest(harness.SessionId, new ParticipantIndex(1))));
    }

    [Fact]
    public void Handle_MessageForAnotherRecipient_IsIgnored()
    {
        using ProtocolHarness harness = CreateSut();

        ClientStep step = harness.Clients[1].Handle(new AdvertiseKeysRequest(harness.SessionId, new ParticipantIndex(2)));

        Assert.Equal(SecAggError.WrongRecipient, Assert.IsType<ClientStep.Rejected>(step).Rejection.Error);
        Assert.Equal(SecAggStage.AdvertiseKeys, harness.Clients[1].Stage);
    }

    [Fact]
    public void Handle_MessageOfFutureStage_Aborts()
    {
        using ProtocolHarness harness = CreateSut();

        ClientStep step = harness.Clients[1].Handle(new UnmaskingRequest(harness.SessionId, new ParticipantIndex(1), [], [], []));

        AssertAborted(step, SecAggError.WrongStage);
        Assert.Equal(SecAggStage.Failed, harness.Clients[1].Stage);
    }

    [Fact]
    public void Handle_RepeatedMessageOfPastStage_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        AdvertiseKeysRequest request = new(harness.SessionId, new ParticipantIndex(1));
        harness.Clients[1].Handle(request);

        AssertAborted(harness.Clients[1].Handle(request), SecAggError.WrongStage);
    }

    [Fact]
    public void Handle_AfterAbort_AnswersNothing()
    {
        using ProtocolHarness harness = CreateSut();
        harness.Clients[1].Handle(new UnmaskingRequest(harness.SessionId, new ParticipantIndex(1), [], [], []));

        ClientStep step = harness.Clients[1].Handle(new AdvertiseKeysRequest(harness.SessionId, new ParticipantIndex(1)));

        Assert.Equal(SecAggError.WrongStage, Assert.IsType<ClientStep.Rejected>(step).Rejection.Error);
    }

    [Fact]
    public void Handle_RosterWithDuplicateEntry_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);

        ClientStep step = harness.Handle(roster with { Keys = [.. roster.Keys, roster.Keys[1]] });

        AssertAborted(step, SecAggError.DuplicateMessage);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Handle_RosterWithUnknownParticipant_Aborts(int index)
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);

        ClientStep step = harness.Handle(roster with { Keys = [.. roster.Keys, roster.Keys[1] with { Participant = new ParticipantIndex(index) }] });

        Assert.Equal(new ParticipantIndex(index), AssertAborted(step, SecAggError.UnknownParticipant).Participant);
    }

    [Fact]
    public void Handle_RosterKeyOfWrongLength_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);
        AdvertisedKeys truncated = roster.Keys[2] with { MaskPublicKey = roster.Keys[2].MaskPublicKey[..31] };

        ClientStep step = harness.Handle(roster with { Keys = [roster.Keys[0], roster.Keys[1], truncated, roster.Keys[3]] });

        AssertAborted(step, SecAggError.WrongLength);
    }

    [Theory]
    [MemberData(nameof(SmallOrderKeys))]
    public void Handle_RosterCipherKeyOfSmallOrder_Aborts(byte[] smallOrder)
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);

        ClientStep step = harness.Handle(roster with { Keys = [roster.Keys[0], roster.Keys[1], roster.Keys[2] with { CipherPublicKey = smallOrder }, roster.Keys[3]] });

        Assert.Equal(new ParticipantIndex(3), AssertAborted(step, SecAggError.InvalidPublicKey).Participant);
    }

    [Theory]
    [MemberData(nameof(SmallOrderKeys))]
    public void Handle_RosterMaskKeyOfSmallOrder_AbortsBeforeSendingShares(byte[] smallOrder)
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);

        ClientStep step = harness.Handle(roster with { Keys = [roster.Keys[0], roster.Keys[1] with { MaskPublicKey = smallOrder }, roster.Keys[2], roster.Keys[3]] });

        Assert.Equal(new ParticipantIndex(2), AssertAborted(step, SecAggError.InvalidPublicKey).Participant);
    }

    /// <summary>X25519 u-coordinates of small order: 0, 1, and the non-canonical encodings of p and p + 1 (≡ 0 and 1).</summary>
    public static TheoryData<byte[]> SmallOrderKeys() => new(
        new byte[32],
        [1, .. new byte[31]],
        [0xED, .. Enumerable.Repeat((byte)0xFF, 30), 0x7F],
        [0xEE, .. Enumerable.Repeat((byte)0xFF, 30), 0x7F]);

    [Fact]
    public void Handle_RosterWithRepeatedPublicKey_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);
        AdvertisedKeys copy = roster.Keys[3] with { MaskPublicKey = roster.Keys[2].MaskPublicKey };

        ClientStep step = harness.Handle(roster with { Keys = [roster.Keys[0], roster.Keys[1], roster.Keys[2], copy] });

        AssertAborted(step, SecAggError.DuplicatePublicKey);
    }

    [Fact]
    public void Handle_RosterWithSubstitutedOwnKey_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);
        using DeterministicSecureRandom attacker = new(999);
        AdvertisedKeys substituted = roster.Keys[0] with { CipherPublicKey = X25519.PublicKeyOf(X25519.GeneratePrivateKey(attacker)) };

        ClientStep step = harness.Handle(roster with { Keys = [substituted, .. roster.Keys.Skip(1)] });

        AssertAborted(step, SecAggError.OwnKeysAltered);
    }

    [Fact]
    public void Handle_RosterWithoutOwnKeys_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);

        AssertAborted(harness.Handle(roster with { Keys = [.. roster.Keys.Skip(1)] }), SecAggError.OwnKeysAltered);
    }

    [Fact]
    public void Handle_RosterSmallerThanThreshold_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        KeyRoster roster = ProtocolHarness.For<KeyRoster>(harness.RunTo(SecAggStage.ShareKeys), 1);

        AssertAborted(harness.Handle(roster with { Keys = [.. roster.Keys.Take(2)] }), SecAggError.InsufficientSurvivors);
    }

    [Fact]
    public void Handle_DeliveredShareTampered_AbortsWithDecryptionFailure()
    {
        using ProtocolHarness harness = CreateSut();
        ShareDelivery delivery = ProtocolHarness.For<ShareDelivery>(harness.RunTo(SecAggStage.CollectMaskedInputs), 1);
        byte[] tampered = delivery.Shares[0].Ciphertext.ToArray();
        tampered[5] ^= 0x01;

        ClientStep step = harness.Handle(delivery with { Shares = [delivery.Shares[0] with { Ciphertext = tampered }, .. delivery.Shares.Skip(1)] });

        Assert.Equal(delivery.Shares[0].Sender, AssertAborted(step, SecAggError.ShareDecryptionFailed).Participant);
    }

    [Fact]
    public void Handle_DeliveredShareAddressedToAnotherParticipant_AbortsWithDecryptionFailure()
    {
        using ProtocolHarness harness = CreateSut();
        ServerStep.Send send = harness.RunTo(SecAggStage.CollectMaskedInputs);
        ShareDelivery mine = ProtocolHarness.For<ShareDelivery>(send, 1);
        ShareDelivery theirs = ProtocolHarness.For<ShareDelivery>(send, 3);
        EncryptedShare fromTwoToThree = theirs.Shares.Single(s => s.Sender.Value == 2);
        EncryptedShare relabelled = fromTwoToThree with { Recipient = new ParticipantIndex(1) };

        ClientStep step = harness.Handle(mine with { Shares = [.. mine.Shares.Where(s => s.Sender.Value != 2), relabelled] });

        AssertAborted(step, SecAggError.ShareDecryptionFailed);
    }

    [Fact]
    public void Handle_DeliveredShareStillAddressedToAnotherParticipant_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        ServerStep.Send send = harness.RunTo(SecAggStage.CollectMaskedInputs);
        ShareDelivery mine = ProtocolHarness.For<ShareDelivery>(send, 1);
        EncryptedShare foreign = ProtocolHarness.For<ShareDelivery>(send, 3).Shares.Single(s => s.Sender.Value == 2);

        ClientStep step = harness.Handle(mine with { Shares = [.. mine.Shares.Where(s => s.Sender.Value != 2), foreign] });

        AssertAborted(step, SecAggError.WrongRecipient);
    }

    [Fact]
    public void Handle_DeliveredShareFromNonNeighbour_Aborts()
    {
        using ProtocolHarness harness = CreateSut(n: 8, t: 2, k: 2);
        ServerStep.Send send = harness.RunTo(SecAggStage.CollectMaskedInputs);
        ShareDelivery mine = ProtocolHarness.For<ShareDelivery>(send, 1);
        HashSet<int> neighbours = [.. mine.Shares.Select(s => s.Sender.Value)];
        int stranger = Enumerable.Range(2, 7).First(p => !neighbours.Contains(p));
        EncryptedShare forged = mine.Shares[0] with { Sender = new ParticipantIndex(stranger) };

        ClientStep step = harness.Handle(mine with { Shares = [.. mine.Shares, forged] });

        Assert.Equal(new ParticipantIndex(stranger), AssertAborted(step, SecAggError.NotANeighbour).Participant);
    }

    [Fact]
    public void Handle_DeliveredShareTwice_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        ShareDelivery delivery = ProtocolHarness.For<ShareDelivery>(harness.RunTo(SecAggStage.CollectMaskedInputs), 1);

        AssertAborted(harness.Handle(delivery with { Shares = [.. delivery.Shares, delivery.Shares[0]] }), SecAggError.DuplicateMessage);
    }

    [Fact]
    public void Handle_DeliveredShareOfWrongLength_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        ShareDelivery delivery = ProtocolHarness.For<ShareDelivery>(harness.RunTo(SecAggStage.CollectMaskedInputs), 1);
        EncryptedShare longer = delivery.Shares[0] with { Ciphertext = new byte[delivery.Shares[0].Ciphertext.Length + 1] };

        AssertAborted(harness.Handle(delivery with { Shares = [longer, .. delivery.Shares.Skip(1)] }), SecAggError.WrongLength);
    }

    [Fact]
    public void Handle_DeliveryWithTooFewSharers_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        ShareDelivery delivery = ProtocolHarness.For<ShareDelivery>(harness.RunTo(SecAggStage.CollectMaskedInputs), 1);

        AssertAborted(harness.Handle(delivery with { Shares = [delivery.Shares[0]] }), SecAggError.InsufficientSurvivors);
    }

    [Fact]
    public void Handle_DeliveryBeforeInput_IsRejectedUntilInputProvided()
    {
        using ProtocolHarness harness = CreateSut(provideInputs: false);
        ServerStep step = harness.Server.Start();
        harness.AcceptAll(harness.Deliver((ServerStep.Send)step));
        step = harness.Server.Advance();
        harness.AcceptAll(harness.Deliver((ServerStep.Send)step));
        ShareDelivery delivery = ProtocolHarness.For<ShareDelivery>((ServerStep.Send)harness.Server.Advance(), 1);

        ClientStep early = harness.Handle(delivery);
        harness.Clients[1].ProvideInput([1, 2, 3, 4]);
        ClientStep late = harness.Handle(delivery);

        Assert.Equal(SecAggError.InputNotProvided, Assert.IsType<ClientStep.Rejected>(early).Rejection.Error);
        Assert.IsType<MaskedInput>(Assert.IsType<ClientStep.Reply>(late).Message);
    }

    [Fact]
    public void Handle_UnmaskingRequestListingSurvivorAsDropped_AbortsWithoutRevealingAnything()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);

        ClientStep step = harness.Handle(request with { Dropped = [new ParticipantIndex(2)] });
        ClientStep retry = harness.Handle(request);

        Assert.Equal(new ParticipantIndex(2), AssertAborted(step, SecAggError.ConflictingUnmaskingRequest).Participant);
        Assert.IsType<ClientStep.Rejected>(retry);
    }

    [Fact]
    public void Handle_SecondUnmaskingRequestWithOtherLists_RevealsNoSecondKind()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);
        UnmaskingShares first = Assert.IsType<UnmaskingShares>(Assert.IsType<ClientStep.Reply>(harness.Handle(request)).Message);
        UnmaskingRequest second = request with { Survivors = [new ParticipantIndex(1), new ParticipantIndex(3), new ParticipantIndex(4)], Dropped = [new ParticipantIndex(2)] };

        ClientStep step = harness.Handle(second);

        Assert.All(first.Shares, s => Assert.Equal(SecretKind.SelfMaskSeed, s.Kind));
        Assert.Equal(SecAggError.WrongStage, Assert.IsType<ClientStep.Rejected>(step).Rejection.Error);
    }

    [Fact]
    public void Handle_UnmaskingRequestOmittingSelf_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);

        AssertAborted(harness.Handle(request with { Survivors = [.. request.Survivors.Skip(1)] }), SecAggError.InconsistentSurvivors);
    }

    [Fact]
    public void Handle_UnmaskingRequestWithTooFewSurvivors_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);

        AssertAborted(harness.Handle(request with { Survivors = [.. request.Survivors.Take(2)] }), SecAggError.InsufficientSurvivors);
    }

    [Fact]
    public void Handle_UnmaskingRequestWithRepeatedSurvivor_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);

        AssertAborted(harness.Handle(request with { Survivors = [.. request.Survivors, request.Survivors[^1]] }), SecAggError.DuplicateMessage);
    }

    [Fact]
    public void Handle_UnmaskingRequestWithUnknownSurvivor_Aborts()
    {
        using ProtocolHarness harness = CreateSut();
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking), 1);

        AssertAborted(harness.Handle(request with { Survivors = [.. request.Survivors, new ParticipantIndex(77)] }), SecAggError.UnknownParticipant);
    }

    [Fact]
    public void Handle_UnmaskingRequestDroppingNonSharer_Aborts()
    {
        using ProtocolHarness harness = CreateSut(n: 5, t: 3);
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking, silent: new HashSet<int> { 5 }), 1);

        ClientStep step = harness.Handle(request with { Dropped = [new ParticipantIndex(5)] });

        Assert.Equal(new ParticipantIndex(5), AssertAborted(step, SecAggError.InconsistentSurvivors).Participant);
    }

    [Fact]
    public void Handle_SurvivorThatNeverAdvertised_Aborts()
    {
        using ProtocolHarness harness = CreateSut(n: 5, t: 3);
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>(harness.RunTo(SecAggStage.Unmasking, silent: new HashSet<int> { 5 }), 1);

        ClientStep step = harness.Handle(request with { Survivors = [.. request.Survivors, new ParticipantIndex(5)] });

        Assert.Equal(new ParticipantIndex(5), AssertAborted(step, SecAggError.InconsistentSurvivors).Participant);
    }

    [Fact]
    public void Handle_NeighbourSurvivorThatNeverShared_Aborts()
    {
        using ProtocolHarness harness = CreateSut(n: 5, t: 3);
        ServerStep.Send send = harness.Server.Start();
        harness.AcceptAll(harness.Deliver(send));
        send = (ServerStep.Send)harness.Server.Advance();
        harness.AcceptAll(harness.Deliver(send, silent: new HashSet<int> { 5 }));
        send = (ServerStep.Send)harness.Server.Advance();
        harness.AcceptAll(harness.Deliver(send));
        UnmaskingRequest request = ProtocolHarness.For<UnmaskingRequest>((ServerStep.Send)harness.Server.Advance(), 1);

        ClientStep step = harness.Handle(request with { Survivors = [.. request.Survivors, new ParticipantIndex(5)] });

        Assert.Equal(new ParticipantIndex(5), AssertAborted(step, SecAggError.InconsistentSurvivors).Participant);
    }
}
