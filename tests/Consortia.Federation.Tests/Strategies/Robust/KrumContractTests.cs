using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.Cyclic;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Strategies.FedAvgM;
using Consortia.Federation.Strategies.FedOpt;
using Consortia.Federation.Strategies.Robust;
using Consortia.Federation.Strategies.Scaffold;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Strategies.Robust;

public sealed class KrumContractTests : StrategyContractTests
{
    protected override IStrategy CreateStrategy() => new RobustAggregationStrategy(new RobustOptions { Rule = RobustRule.Krum });
}
