using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Strategies.FedOpt;
using Consortia.Privacy.ClientLevel;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Strategies.ClientDp;

/// <summary>The strategy contract (same model from the sum or the individual updates, order invariance, …) holds for the decorator.</summary>
public sealed class ClientDpOverFedAvgContractTests : StrategyContractTests
{
    protected override IStrategy CreateStrategy() => new ClientDpStrategy(
        new FedAvgStrategy(new FedAvgOptions()),
        new ClientDpSettings(new ClientLevelDpOptions { ClipNorm = 2.0, NoiseMultiplier = 1.1 }, "job", 10),
        ClientDpStrategy.SeededNoise);
}

/// <summary>The contract with a server optimizer and a calibrated z.</summary>
public sealed class ClientDpOverFedAdamContractTests : StrategyContractTests
{
    protected override IStrategy CreateStrategy() => new ClientDpStrategy(
        new FedOptStrategy(new FedOptOptions { Variant = FedOptVariant.Adam }),
        new ClientDpSettings(new ClientLevelDpOptions { ClipNorm = 0.5, TargetEpsilon = 8 }, "job", 10),
        ClientDpStrategy.SeededNoise);
}
