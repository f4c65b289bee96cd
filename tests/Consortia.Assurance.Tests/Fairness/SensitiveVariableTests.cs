using Consortia.Data.Contracts;

namespace Consortia.Assurance.Tests.Fairness;

public sealed class SensitiveVariableTests
{
    [Theory]
    [InlineData(54.9996, 1)] // a float round trip of 55 lands in 55's band, not below it
    [InlineData(29, 0)]
    [InlineData(55, 1)]
    [InlineData(64, 1)]
    [InlineData(65, 2)]
    [InlineData(90, 2)]
    public void GroupOf_Bands_LowerEdgeInclusive(double age, int expected) =>
        Assert.Equal(expected, FederatedFairnessAuditTests.AgeBand.GroupOf(age));

    [Fact]
    public void GroupOf_UndeclaredCode_IsMinusOne() => Assert.Equal(-1, FederatedFairnessAuditTests.Sex.GroupOf(2));
}
