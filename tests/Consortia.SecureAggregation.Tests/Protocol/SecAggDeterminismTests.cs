using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Simulation;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Protocol;

public sealed class SecAggDeterminismTests
{
    [Fact]
    public void Transcript_SameInjectedSeed_IsBitIdentical()
    {
        List<string> first = Transcript(seed: 9);
        List<string> second = Transcript(seed: 9);
        List<string> other = Transcript(seed: 10);

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Simulator_SystemRandomness_TwoRunsGiveTheSameSum()
    {
        SecAggSimulationOptions options = new() { Session = SessionFactory.Create(4, 3, vectorLength: 16) };
        uint[][] inputs = SessionFactory.RandomInputs(4, 16, 1);

        SecAggSimulationResult first = SecAggRoundSimulator.Run(options, [.. inputs.Select(i => (ReadOnlyMemory<uint>)i)]);
        SecAggSimulationResult second = SecAggRoundSimulator.Run(options, [.. inputs.Select(i => (ReadOnlyMemory<uint>)i)]);

        uint[] expected = SessionFactory.PlainSum(inputs, 16);
        Assert.Equal(expected, Assert.IsType<SecureAggregationOutcome.Succeeded>(first.Outcome).Result.Sum);
        Assert.Equal(expected, Assert.IsType<SecureAggregationOutcome.Succeeded>(second.Outcome).Result.Sum);
    }

    [Fact]
    public void Client_SystemRandomness_TwoRunsAdvertiseDifferentKeys()
    {
        SecAggSessionOptions options = SessionFactory.Create(4, 3, vectorLength: 16);
        using SecAggClient first = new(options, new ParticipantIndex(1), SystemSecureRandom.Instance);
        using SecAggClient second = new(options, new ParticipantIndex(1), SystemSecureRandom.Instance);
        AdvertiseKeysRequest request = new(first.SessionId, new ParticipantIndex(1));

        KeyAdvertisement a = Assert.IsType<KeyAdvertisement>(Assert.IsType<ClientStep.Reply>(first.Handle(request)).Message);
        KeyAdvertisement b = Assert.IsType<KeyAdvertisement>(Assert.IsType<ClientStep.Reply>(second.Handle(request)).Message);

        Assert.NotEqual(a.CipherPublicKey.ToArray(), b.CipherPublicKey.ToArray());
        Assert.NotEqual(a.MaskPublicKey.ToArray(), b.MaskPublicKey.ToArray());
    }

    /// <summary>Every client message of a complete round with one dropout, as hex.</summary>
    private static List<string> Transcript(ulong seed)
    {
        using ProtocolHarness harness = new(SessionFactory.Create(5, 3, vectorLength: 8), seed, SessionFactory.RandomInputs(5, 8, 3));
        List<string> transcript = [];
        ServerStep step = harness.Server.Start();
        while (step is ServerStep.Send send)
        {
            List<SecAggClientMessage> replies = harness.Deliver(send, send.Stage == SecAggStage.CollectMaskedInputs ? new HashSet<int> { 5 } : null);
            transcript.AddRange(replies.Select(Describe));
            harness.AcceptAll(replies);
            step = harness.Server.Advance();
        }

        transcript.Add(string.Join(',', Assert.IsType<ServerStep.Completed>(step).Result.Sum));
        return transcript;
    }

    private static string Describe(SecAggClientMessage message) => message switch
    {
        KeyAdvertisement a => Convert.ToHexString(a.CipherPublicKey.Span) + Convert.ToHexString(a.MaskPublicKey.Span),
        EncryptedShares s => string.Concat(s.Shares.Select(x => Convert.ToHexString(x.Ciphertext.Span))),
        MaskedInput m => string.Join(',', m.Vector.ToArray()),
        UnmaskingShares u => string.Concat(u.Shares.Select(x => Convert.ToHexString(x.Share.Span))),
        _ => message.ToString(),
    };
}
