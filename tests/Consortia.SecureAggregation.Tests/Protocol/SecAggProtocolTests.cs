using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Protocol;

public sealed class SecAggProtocolTests
{
    [Theory]
    [InlineData(3, 2, null, 1)]
    [InlineData(4, 3, null, 7)]
    [InlineData(10, 6, null, 1000)]
    [InlineData(12, 3, 4, 33)]
    public void RunToEnd_NoDropouts_ReturnsExactSum(int n, int t, int? k, int d)
    {
        using ProtocolHarness harness = new(SessionFactory.Create(n, t, d, k));

        ServerStep end = harness.RunToEnd();

        SecureSum sum = Assert.IsType<ServerStep.Completed>(end).Result;
        Assert.Equal(SessionFactory.PlainSum(harness.Inputs, d), sum.Sum);
        Assert.Equal(Enumerable.Range(1, n), sum.Contributors.Select(c => c.Value));
        Assert.Empty(harness.ClientAborts);
    }
}
