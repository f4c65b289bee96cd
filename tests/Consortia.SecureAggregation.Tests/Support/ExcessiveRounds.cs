using FsCheck;
using FsCheck.Fluent;

namespace Consortia.SecureAggregation.Tests.Support;

/// <summary>FsCheck arbitrary: complete-graph rounds with more dropouts than the threshold tolerates.</summary>
public static class ExcessiveRounds
{
    public static Arbitrary<RoundScenario> Rounds() => RoundScenario.Excessive().ToArbitrary();
}
