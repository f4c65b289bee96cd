using System.Runtime.CompilerServices;

using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Aggregation;

public sealed class SecureAggregatorTests
{
    [Fact]
    public async Task AggregateAsync_InMemoryChannel_ReturnsOnlyTheSum()
    {
        using ProtocolHarness harness = new(SessionFactory.Create(5, 3, vectorLength: 12), seed: 3);
        InMemoryChannel channel = new(harness, silentFrom: null);
        SecureAggregator aggregator = new();

        SecureAggregationOutcome outcome = await aggregator.AggregateAsync(harness.Options, channel, TestContext.Current.CancellationToken);

        SecureSum sum = Assert.IsType<SecureAggregationOutcome.Succeeded>(outcome).Result;
        Assert.Equal(SessionFactory.PlainSum(harness.Inputs, 12), sum.Sum);
        Assert.Equal(
            [SecAggStage.AdvertiseKeys, SecAggStage.ShareKeys, SecAggStage.CollectMaskedInputs, SecAggStage.Unmasking],
            channel.Stages);
    }

    [Fact]
    public async Task AggregateAsync_RejectedAndLateMessages_AreReportedAndDoNotStopTheSession()
    {
        using ProtocolHarness harness = new(SessionFactory.Create(5, 3, vectorLength: 12), seed: 4);
        InMemoryChannel channel = new(harness, silentFrom: (SecAggStage.CollectMaskedInputs, 5)) { InjectForeignMessage = true };
        SecureAggregator aggregator = new();

        SecureAggregationOutcome outcome = await aggregator.AggregateAsync(harness.Options, channel, TestContext.Current.CancellationToken);

        SecureSum sum = Assert.IsType<SecureAggregationOutcome.Succeeded>(outcome).Result;
        Assert.Equal(SessionFactory.PlainSum(harness.Inputs.Take(4), 12), sum.Sum);
        Assert.Contains(outcome.Rejections, r => r.Error == SecAggError.WrongSession);
    }

    [Fact]
    public async Task AggregateAsync_TooManySilentSites_Fails()
    {
        using ProtocolHarness harness = new(SessionFactory.Create(4, 3, vectorLength: 3), seed: 5);
        InMemoryChannel channel = new(harness, silentFrom: (SecAggStage.ShareKeys, 2)) { ExtraSilent = 3 };

        SecureAggregationOutcome outcome = await new SecureAggregator().AggregateAsync(harness.Options, channel, TestContext.Current.CancellationToken);

        Assert.Equal(SecAggError.InsufficientSurvivors, Assert.IsType<SecureAggregationOutcome.Failed>(outcome).Failure.Error);
    }

    /// <summary>A fake transport that hands the stage's messages to the harness clients and streams their replies.</summary>
    private sealed class InMemoryChannel(ProtocolHarness harness, (SecAggStage Stage, int Participant)? silentFrom) : ISecAggServerChannel
    {
        private readonly HashSet<int> _silent = [];

        public List<SecAggStage> Stages { get; } = [];

        public bool InjectForeignMessage { get; init; }

        public int? ExtraSilent { get; init; }

        public async IAsyncEnumerable<SecAggClientMessage> ExchangeAsync(SecAggStage stage, IReadOnlyList<SecAggServerMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Stages.Add(stage);
            if (silentFrom is { } silent && stage == silent.Stage)
            {
                _silent.Add(silent.Participant);
                if (ExtraSilent is int extra)
                {
                    _silent.Add(extra);
                }
            }

            if (InjectForeignMessage)
            {
                yield return new MaskedInput(SessionFactory.Create(5, 3, round: 99).ComputeSessionId(), new ParticipantIndex(1), new uint[12]);
            }

            foreach (SecAggClientMessage reply in harness.Deliver(new ServerStep.Send(stage, messages), _silent))
            {
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                yield return reply;
            }
        }
    }
}
