using FsCheck;
using FsCheck.Fluent;

namespace Consortia.SecureAggregation.Tests.Support;

/// <summary>FsCheck arbitrary: rounds whose dropouts the threshold tolerates.</summary>
public static class TolerableRounds
{
    public static Arbitrary<RoundScenario> Rounds() => RoundScenario.Tolerable().ToArbitrary();
}
