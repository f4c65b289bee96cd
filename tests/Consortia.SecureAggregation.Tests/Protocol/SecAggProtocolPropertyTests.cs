using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Tests.Support;

using FsCheck.Xunit;

namespace Consortia.SecureAggregation.Tests.Protocol;

public sealed class SecAggProtocolPropertyTests
{
    [Property(MaxTest = 30, Arbitrary = [typeof(TolerableRounds)])]
    public void Run_DropoutsWithinThreshold_UnmaskedSumEqualsPlainSumOfSurvivors(RoundScenario scenario)
    {
        using ProtocolHarness harness = new(scenario.Options(), (ulong)scenario.Seed);
        List<RevealedShare> revealed = [];

        ServerStep end = Run(harness, scenario, revealed);

        SecureSum sum = Assert.IsType<ServerStep.Completed>(end).Result;
        int[] contributors = [.. scenario.Contributors];
        Assert.Equal(contributors, sum.Contributors.Select(c => c.Value));
        Assert.Equal(SessionFactory.PlainSum(contributors.Select(p => harness.Inputs[p - 1]), scenario.Dimension), sum.Sum);
        Assert.Empty(harness.ClientAborts);
        AssertNeverBothKinds(revealed);
    }

    [Property(MaxTest = 20, Arbitrary = [typeof(ExcessiveRounds)])]
    public void Run_DropoutsBeyondThreshold_FailsCleanlyWithoutRevealingBothSecrets(RoundScenario excessive)
    {
        using ProtocolHarness harness = new(excessive.Options(), (ulong)excessive.Seed);
        List<RevealedShare> revealed = [];

        ServerStep end = Run(harness, excessive, revealed);

        SecAggFailure failure = Assert.IsType<ServerStep.Failed>(end).Failure;
        Assert.Equal(SecAggError.InsufficientSurvivors, failure.Error);
        Assert.Equal(SecAggStage.Failed, harness.Server.Stage);
        AssertNeverBothKinds(revealed);
        if (failure.Stage < SecAggStage.Unmasking)
        {
            Assert.Empty(revealed);
        }
    }

    private static ServerStep Run(ProtocolHarness harness, RoundScenario scenario, List<RevealedShare> revealed)
    {
        HashSet<int> silent = [];
        ServerStep step = harness.Server.Start();
        while (step is ServerStep.Send send)
        {
            int phase = send.Stage switch
            {
                SecAggStage.AdvertiseKeys => 0,
                SecAggStage.ShareKeys => 1,
                SecAggStage.CollectMaskedInputs => 2,
                _ => 3,
            };
            silent.UnionWith(scenario.DroppedAt(phase));
            List<SecAggClientMessage> replies = harness.Deliver(send, silent);
            revealed.AddRange(replies.OfType<UnmaskingShares>().SelectMany(r => r.Shares));
            harness.AcceptAll(replies);
            step = harness.Server.Advance();
        }

        return step;
    }

    private static void AssertNeverBothKinds(List<RevealedShare> revealed)
    {
        foreach (IGrouping<ParticipantIndex, RevealedShare> owner in revealed.GroupBy(r => r.Owner))
        {
            Assert.Single(owner.Select(r => r.Kind).Distinct());
        }
    }
}
