using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Simulation;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Strategies.ClientDp;

/// <summary>Distributed DP end to end: the heart example's client-level job under secure aggregation, simulated.</summary>
public sealed class DistributedDpFederationTests
{
    private static JobDefinition HeartJob(bool trustedCoordinator)
    {
        JobDefinition job = JobFile.Load(RepositoryPaths.Combine("examples", "heart-disease", "dp-fedavg-client.yaml"));
        SecureAggregationSettings secure = new() { ClipRange = 10 };
        return job with
        {
            Engine = job.Engine with { SecureAggregation = secure },
            ClientDp = job.ClientDp! with { SecureAggregation = secure, TrustedCoordinator = trustedCoordinator },
            Baselines = null,
        };
    }

    [Fact]
    public async Task Simulation_HeartExample_SitesNoiseTheSum_AndTheRunReproduces()
    {
        JobDefinition job = HeartJob(trustedCoordinator: false);

        SimulationResult first = await FederatedSimulation.RunAsync(job, null, null, TestContext.Current.CancellationToken);
        SimulationResult second = await FederatedSimulation.RunAsync(job, null, null, TestContext.Current.CancellationToken);

        Assert.All(first.Federated.Rounds, r => Assert.True(r.Aggregated, r.AggregationFailure + string.Join("; ", r.Failures) + string.Join("; ", r.Refusals)));
        Assert.All(first.Federated.Rounds, r => Assert.True(double.IsNaN(r.TrainLoss)));
        ClientDpCalibration privacy = Assert.IsType<ClientDpCalibration>(first.ClientPrivacy);
        Privacy.Distributed.DistributedDpParameters d = Assert.IsType<Privacy.Distributed.DistributedDpParameters>(privacy.Distributed);
        Assert.Equal(3, d.MinimumContributors); // t for four sites: the noise holds if one drops
        Assert.InRange(privacy.Epsilon, 4 * 0.99, 4.0);
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
