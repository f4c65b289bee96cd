using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Simulation;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Strategies.ClientDp;

/// <summary>Distributed DP end to end: the heart example's client-level job under secure aggregation, simulated.</summary>
public sealed class DistributedDpFederationTests
{
    private static JobDefinition HeartJob(bool trustedCoordinator, Privacy.Distributed.DistributedMechanism mechanism = Privacy.Distributed.DistributedMechanism.DiscreteGaussian)
    {
        JobDefinition job = JobFile.Load(RepositoryPaths.Combine("examples", "heart-disease", "dp-fedavg-client.yaml"));
        SecureAggregationSettings secure = new() { ClipRange = 10 };
        return job with
        {
            Engine = job.Engine with { SecureAggregation = secure },
            ClientDp = job.ClientDp! with { Options = job.ClientDp.Options with { Mechanism = mechanism }, SecureAggregation = secure, TrustedCoordinator = trustedCoordinator },
            Baselines = null,
        };
    }

    [Theory]
    [InlineData(Privacy.Distributed.DistributedMechanism.DiscreteGaussian, "distributed_discrete_gaussian")]
    [InlineData(Privacy.Distributed.DistributedMechanism.Skellam, "distributed_skellam")]
    public async Task Simulation_HeartExample_SitesNoiseTheSum_BookTheirMechanism_AndTheRunReproduces(Privacy.Distributed.DistributedMechanism mechanism, string booked)
    {
        JobDefinition job = HeartJob(trustedCoordinator: false, mechanism);

        SimulationResult first = await FederatedSimulation.RunAsync(job, null, null, TestContext.Current.CancellationToken);
        SimulationResult second = await FederatedSimulation.RunAsync(job, null, null, TestContext.Current.CancellationToken);

        Assert.All(first.Federated.Rounds, r => Assert.True(r.Aggregated, r.AggregationFailure + string.Join("; ", r.Failures) + string.Join("; ", r.Refusals)));
        Assert.All(first.Federated.Rounds, r => Assert.True(double.IsNaN(r.TrainLoss)));
        ClientDpCalibration privacy = Assert.IsType<ClientDpCalibration>(first.ClientPrivacy);
        Privacy.Distributed.DistributedDpParameters d = Assert.IsType<Privacy.Distributed.DistributedDpParameters>(privacy.Distributed);
        Assert.Equal(3, d.MinimumContributors); // t for four sites: the noise holds if one drops
        Assert.Equal(mechanism, d.Mechanism);
        Assert.InRange(privacy.Epsilon, 4 * 0.99, 4.0);

        // Each site booked the mechanism it ran, one round at q = 1: its ε is the mechanism's own for that round.
        Assert.Equal(4, first.Privacy.Count);
        double round = Privacy.Accounting.RdpConverter.ToEpsilon(Privacy.Accounting.RdpOrderGrid.OpacusExtended.Orders, Privacy.Distributed.DistributedDp.RoundCurve(d, Privacy.Accounting.RdpOrderGrid.OpacusExtended.Orders), 1e-5).Epsilon;
        Assert.All(first.Privacy, p =>
        {
            Assert.Equal(booked, p.Mechanism);
            Assert.Equal(round, p.Epsilon, 9);
            Assert.Equal(round, p.RoundEpsilon, 9);
        });
        Assert.Equal(first.Federated.FinalModel.Parameters.Values.ToArray(), second.Federated.FinalModel.Parameters.Values.ToArray());
    }

    [Fact]
    public async Task Simulation_TrustedCoordinator_AddsCentralNoise()
    {
        SimulationResult result = await FederatedSimulation.RunAsync(HeartJob(trustedCoordinator: true), null, null, TestContext.Current.CancellationToken);

        ClientDpCalibration privacy = Assert.IsType<ClientDpCalibration>(result.ClientPrivacy);
        Assert.Null(privacy.Distributed);
        Assert.All(result.Federated.Rounds, r => Assert.True(r.Aggregated, r.AggregationFailure));
    }
}
