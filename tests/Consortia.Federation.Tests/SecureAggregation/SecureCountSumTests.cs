using Consortia.Federation.SecureAggregation;

namespace Consortia.Federation.Tests.SecureAggregation;

public sealed class SecureCountSumTests
{
    [Fact]
    public void Sum_SitesNotInNameOrder_IsTheExactSumAndEachSiteIsObservedWithItsOwnInput()
    {
        string[] sites = ["west", "east", "north", "canada"]; // roster order, not sorted
        long[][] inputs = [[1, 0, 7], [0, 0, 2], [5, 3, 0], [0, 4_000_000_000, 1]];
        Dictionary<string, uint[]> observed = [];

        long[] sum = SecureCountSum.Sum(new SecureAggregationSettings(), "count-test", sites, inputs, 5, (site, input) => observed[site] = input.ToArray());

        Assert.Equal([6L, 4_000_000_003L, 10L], sum); // exact while the sum stays below 2^32
        Assert.All(sites.Select((s, i) => (s, i)), p => Assert.Equal(inputs[p.i].Select(v => (uint)v), observed[p.s]));
    }

    [Fact]
    public void Sum_NegativeCount_IsRejectedNamingTheSite()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            SecureCountSum.Sum(new SecureAggregationSettings(), "count-test", ["a", "b", "c"], [[1], [-1], [0]], 5));

        Assert.Contains("Site 'b', count 0: -1", error.Message, StringComparison.Ordinal);
    }
}
