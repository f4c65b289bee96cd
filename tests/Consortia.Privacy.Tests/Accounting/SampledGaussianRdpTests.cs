using Consortia.Privacy.Accounting;
using Consortia.Privacy.Tests.TestVectors;

namespace Consortia.Privacy.Tests.Accounting;

public sealed class SampledGaussianRdpTests
{
    public static TheoryData<double, double, double, double, double> RdpValueRows()
    {
        TheoryData<double, double, double, double, double> data = [];
        foreach (RdpValueRow row in TestVectorFiles.RdpValues())
        {
            data.Add(row.Q, row.NoiseMultiplier, row.Order, row.RdpOneStep, row.RdpIntegration);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RdpValueRows))]
    public void Compute_RdpValuesCsvRow_MatchesSeriesAndIntegration(double q, double sigma, double order, double series, double integration)
    {
        double actual = SampledGaussianRdp.Compute(q, sigma, order);

        Assert.True(Math.Abs(actual - series) <= 1e-7 * series, $"ε({order}) = {actual:R}, reference series {series:R}");
        Assert.True(Math.Abs(actual - integration) <= 1e-7 * integration, $"ε({order}) = {actual:R}, integration {integration:R}");
    }

    [Fact]
    public void RdpValuesCsv_HasAllRows()
    {
        Assert.Equal(260, TestVectorFiles.RdpValues().Count);
    }

    // Worked examples of the design reference §5.3 (per step), including an order outside the CSV.
    [Theory]
    [InlineData(0.01, 0.5, 2.0, 0.00534550231435)]
    [InlineData(0.01, 0.5, 1.5, 0.00262989120827)]
    [InlineData(0.01, 1.1, 12.0, 0.0413855193792)]
    public void Compute_ReferenceExamples_Match(double q, double sigma, double order, double expected)
    {
        double actual = SampledGaussianRdp.Compute(q, sigma, order);

        Assert.True(Math.Abs(actual - expected) <= 1e-9 * expected, $"{actual:R} vs {expected:R}");
    }

    [Fact]
    public void Compute_SpecialCases_FollowDefinition()
    {
        Assert.Equal(0.0, SampledGaussianRdp.Compute(0.0, 1.0, 2.5));
        Assert.Equal(double.PositiveInfinity, SampledGaussianRdp.Compute(0.1, 0.0, 2.5));
        Assert.Equal(double.PositiveInfinity, SampledGaussianRdp.Compute(0.1, 1.0, double.PositiveInfinity));
        Assert.Equal(2.5 / (2 * 1.5 * 1.5), SampledGaussianRdp.Compute(1.0, 1.5, 2.5));
    }

    [Fact]
    public void Compute_FractionalOrderNearInteger_IsContinuous()
    {
        double at3 = SampledGaussianRdp.Compute(0.05, 0.8, 3.0);
        double below = SampledGaussianRdp.Compute(0.05, 0.8, 3.0 - 1e-7);
        double above = SampledGaussianRdp.Compute(0.05, 0.8, 3.0 + 1e-7);

        Assert.True(below < at3 && at3 < above, $"{below:R} {at3:R} {above:R}");
        Assert.Equal(at3, below, 1e-5 * at3);
        Assert.Equal(at3, above, 1e-5 * at3);
    }

    [Fact]
    public void Compute_SpanOverload_EqualsScalar()
    {
        ReadOnlySpan<double> orders = RdpOrderGrid.OpacusExtended.Orders;
        double[] values = new double[orders.Length];

        SampledGaussianRdp.Compute(0.02, 1.3, orders, values);

        for (int i = 0; i < orders.Length; i += 17)
        {
            Assert.Equal(SampledGaussianRdp.Compute(0.02, 1.3, orders[i]), values[i]);
        }
    }

    [Theory]
    [InlineData(-0.1, 1.0, 2.0)]
    [InlineData(1.1, 1.0, 2.0)]
    [InlineData(double.NaN, 1.0, 2.0)]
    [InlineData(0.1, -1.0, 2.0)]
    [InlineData(0.1, double.NaN, 2.0)]
    [InlineData(0.1, 1.0, 1.0)]
    [InlineData(0.1, 1.0, 0.5)]
    public void Compute_OutOfDomain_Throws(double q, double sigma, double order)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SampledGaussianRdp.Compute(q, sigma, order));
    }

    [Fact]
    public void Compute_ShortDestination_Throws()
    {
        double[] destination = new double[3];

        Assert.Throws<ArgumentException>(() => SampledGaussianRdp.Compute(0.1, 1.0, RdpOrderGrid.OpacusDefault.Orders, destination));
    }
}
