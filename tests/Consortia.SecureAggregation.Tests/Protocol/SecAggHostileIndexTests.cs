using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Protocol;

/// <summary>
/// Hostile indexes and sizes from one participant (issue 12, attack 9): a sender index of 0 or out of range, a
/// duplicate, a share for an index outside the session, a vector of the wrong size. Each message is rejected with
/// the reason that fits, the offender counts as dropped, and the others' sum still comes out exact.
/// </summary>
public sealed class SecAggHostileIndexTests
{
    private const int Sites = 6;
    private const int Length = 5;

    private static ProtocolHarness Harness(ulong seed) =>
        new(SessionFactory.Create(Sites, 4, vectorLength: Length, mode: SecAggSecurityMode.MaliciousServer), seed: seed, ecdsaIdentities: true);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(Sites + 1)]
    [InlineData(int.MaxValue)]
    public void Advertisement_SenderIndexOutsideTheSession_IsRejectedAndTheOthersStillSum(int index)
    {
        using ProtocolHarness harness = Harness(61);

        SecureSum sum = Run(harness, SecAggStage.AdvertiseKeys, offender: 6, reply => reply with { Sender = new ParticipantIndex(index) }, SecAggError.UnknownParticipant);

        Assert.Equal(SessionFactory.PlainSum(harness.Inputs.Take(5), Length), sum.Sum);
        Assert.DoesNotContain(sum.Contributors, c => c.Value == 6);
    }

    [Fact]
    public void MaskedInput_SenderIndexZero_IsRejectedAsUnknownNotAsTooFewSurvivors()
    {
        using ProtocolHarness harness = Harness(62);

        SecureSum sum = Run(harness, SecAggStage.CollectMaskedInputs, offender: 3, reply => reply with { Sender = new ParticipantIndex(0) }, SecAggError.UnknownParticipant);

        // #3 shared its keys, then its masked input never arrived: its pairwise masks are removed from reconstructed keys.
        Assert.Equal(SessionFactory.PlainSum(harness.Inputs.Where((_, i) => i != 2), Length), sum.Sum);
    }

    [Theory]
    [InlineData(Length - 1)]
    [InlineData(Length + 1)]
    [InlineData(0)]
    public void MaskedInput_WrongVectorSize_IsRejectedAndTheSenderDropped(int size)
    {
        using ProtocolHarness harness = Harness(63);

        SecureSum sum = Run(harness, SecAggStage.CollectMaskedInputs, offender: 2, reply => ((MaskedInput)reply) with { Vector = new uint[size] }, SecAggError.WrongLength);

        Assert.Equal(SessionFactory.PlainSum(harness.Inputs.Where((_, i) => i != 1), Length), sum.Sum);
    }

    [Fact]
    public void Advertisement_DuplicateFromOneSender_SecondIsRejectedAndTheSessionCompletes()
    {
        using ProtocolHarness harness = Harness(64);
        ServerStep.Send open = harness.Server.Start();
        List<SecAggClientMessage> replies = harness.Deliver(open);
        harness.AcceptAll(replies);

        Assert.False(harness.Server.TryAccept(replies[1], out SecAggRejection? rejection));
        Assert.Equal(SecAggError.DuplicateMessage, rejection.Error);
        Assert.Equal(new ParticipantIndex(2), rejection.Participant);
        SecureSum sum = Finish(harness, harness.Server.Advance());
        Assert.Equal(SessionFactory.PlainSum(harness.Inputs, Length), sum.Sum);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(Sites + 1)]
    public void Shares_RecipientIndexOutsideTheSession_IsRejectedAndTheSenderDropped(int index)
    {
        using ProtocolHarness harness = Harness(65);

        SecureSum sum = Run(
            harness,
            SecAggStage.ShareKeys,
            offender: 4,
            reply =>
            {
                EncryptedShares shares = (EncryptedShares)reply;
                return shares with { Shares = [.. shares.Shares.Select((s, i) => i == 0 ? s with { Recipient = new ParticipantIndex(index) } : s)] };
            },
            SecAggError.NotANeighbour);

        // #4 never shared keys, so it is out of the session before masking: nobody masks against it.
        Assert.Equal(SessionFactory.PlainSum(harness.Inputs.Where((_, i) => i != 3), Length), sum.Sum);
    }

    [Fact]
    public void Shares_DuplicateRecipient_IsRejectedAsAWrongShareSet()
    {
        using ProtocolHarness harness = Harness(66);

        SecureSum sum = Run(
            harness,
            SecAggStage.ShareKeys,
            offender: 1,
            reply =>
            {
                EncryptedShares shares = (EncryptedShares)reply;
                return shares with { Shares = [.. shares.Shares.Select((s, i) => i == 1 ? s with { Recipient = shares.Shares[0].Recipient } : s)] };
            },
            SecAggError.WrongShareSet);

        Assert.Equal(SessionFactory.PlainSum(harness.Inputs.Skip(1), Length), sum.Sum);
    }

    [Fact]
    public void RevealedShare_OwnerIndexOutsideTheSession_IsRejectedAsUnrequested()
    {
        using ProtocolHarness harness = Harness(67);

        SecureSum sum = Run(
            harness,
            SecAggStage.Unmasking,
            offender: 5,
            reply =>
            {
                UnmaskingShares shares = (UnmaskingShares)reply;
                return shares with { Shares = [.. shares.Shares.Select((s, i) => i == 0 ? s with { Owner = new ParticipantIndex(0) } : s)] };
            },
            SecAggError.UnrequestedShare);

        // Five honest holders remain, above t = 4: every input, #5's included (it was masked and signed), is summed.
        Assert.Equal(SessionFactory.PlainSum(harness.Inputs, Length), sum.Sum);
    }

    [Fact]
    public void Client_RosterEntryWithIndexZero_AbortsNamingTheUnknownParticipant()
    {
        using ProtocolHarness harness = Harness(68);
        ServerStep.Send roster = harness.RunTo(SecAggStage.ShareKeys);
        KeyRoster message = ProtocolHarness.For<KeyRoster>(roster, 1);
        KeyRoster hostile = message with { Keys = [.. message.Keys.Select((k, i) => i == 2 ? k with { Participant = new ParticipantIndex(0) } : k)] };

        ClientStep.Aborted aborted = Assert.IsType<ClientStep.Aborted>(harness.Handle(hostile));

        Assert.Equal(SecAggError.UnknownParticipant, aborted.Rejection.Error);
        Assert.Equal(new ParticipantIndex(0), aborted.Rejection.Participant);
    }

    /// <summary>Runs the session; at <paramref name="stage"/> the offender's reply is replaced by the hostile one, which must be rejected with <paramref name="expected"/>.</summary>
    private static SecureSum Run(ProtocolHarness harness, SecAggStage stage, int offender, Func<SecAggClientMessage, SecAggClientMessage> hostile, SecAggError expected)
    {
        ServerStep step = harness.Server.Start();
        while (step is ServerStep.Send send)
        {
            foreach (SecAggClientMessage reply in harness.Deliver(send))
            {
                if (send.Stage == stage && reply.Sender.Value == offender)
                {
                    Assert.False(harness.Server.TryAccept(hostile(reply), out SecAggRejection? rejection));
                    Assert.Equal(expected, rejection.Error);
                    continue;
                }

                Assert.True(harness.Server.TryAccept(reply, out SecAggRejection? unexpected), unexpected?.ToString());
            }

            step = harness.Server.Advance();
        }

        return Assert.IsType<ServerStep.Completed>(step, exactMatch: false).Result;
    }

    private static SecureSum Finish(ProtocolHarness harness, ServerStep step)
    {
        while (step is ServerStep.Send send)
        {
            harness.AcceptAll(harness.Deliver(send));
            step = harness.Server.Advance();
        }

        return Assert.IsType<ServerStep.Completed>(step).Result;
    }
}
