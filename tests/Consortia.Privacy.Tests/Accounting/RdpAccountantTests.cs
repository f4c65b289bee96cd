using Consortia.Privacy.Accounting;
using Consortia.Privacy.Tests.TestVectors;

namespace Consortia.Privacy.Tests.Accounting;

public sealed class RdpAccountantTests
{
    public static TheoryData<double, double, long, double, string, string, double> EpsilonRows()
    {
        TheoryData<double, double, long, double, string, string, double> data = [];
        foreach (EpsilonRow row in TestVectorFiles.Epsilons())
        {
            data.Add(row.Q, row.NoiseMultiplier, row.Steps, row.Delta, row.Orders, row.Conversion, row.Epsilon);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EpsilonRows))]
    public void ComputeEpsilon_RdpEpsilonsCsvRow_WithinRelative1e6(double q, double sigma, long steps, double delta, string orders, string conversion, double expected)
    {
        Assert.True(RdpOrderGrid.TryParse(orders, out RdpOrderGrid? grid), orders);
        Assert.True(RdpConverter.TryParse(conversion, out RdpConversion parsed), conversion);

        PrivacyGuarantee actual = RdpAccountant.ComputeEpsilon(q, sigma, steps, delta, grid, parsed);

        Assert.True(Math.Abs(actual.Epsilon - expected) <= 1e-6 * expected, $"ε = {actual.Epsilon:R}, expected {expected:R}");
        Assert.Equal(delta, actual.Delta);
    }

    [Fact]
    public void RdpEpsilonsCsv_CoversEveryVariant()
    {
        IReadOnlyList<EpsilonRow> rows = TestVectorFiles.Epsilons();

        Assert.Equal(320, rows.Count);
        Assert.Equal(
            ["dp_accounting_default/canonne2020_dpacc", "integer_2_128_256/balle2020", "opacus_default/balle2020", "opacus_default/classic"],
            rows.Select(r => r.Orders + "/" + r.Conversion).Distinct().Order(StringComparer.Ordinal));
    }

    // Optimal orders of the design reference §5.2 (column α* for variants A and D).
    [Theory]
    [InlineData(0.01, 1.1, 1000L, "opacus_default", 1.711770, 9.6)]
    [InlineData(1.0, 1.0, 1L, "opacus_default", 4.728507, 5.4)]
    [InlineData(1.0, 5.0, 1L, "opacus_default", 0.794522, 22.0)]
    [InlineData(0.01, 0.5, 10000L, "opacus_default", 47.415221, 1.5)]
    [InlineData(0.1, 5.0, 1L, "integer_2_128_256", 0.096590, 97.0)]
    public void ComputeEpsilon_ReferenceAnchors_ReportOptimalOrder(double q, double sigma, long steps, string orders, double epsilon, double order)
    {
        Assert.True(RdpOrderGrid.TryParse(orders, out RdpOrderGrid? grid));

        PrivacyGuarantee actual = RdpAccountant.ComputeEpsilon(q, sigma, steps, 1e-5, grid);

        Assert.Equal(epsilon, actual.Epsilon, 5e-6);
        Assert.Equal(order, actual.Order, 1e-12);
        Assert.False(actual.OrderAtGridEdge);
    }

    [Fact]
    public void ComputeEpsilon_OptimumOnLargestOrder_FlagsGridEdge()
    {
        // §5.2 † row: q = 0.01, z = 5, one step puts the optimum at 63, the last Opacus order.
        PrivacyGuarantee actual = RdpAccountant.ComputeEpsilon(0.01, 5.0, 1, 1e-5);

        Assert.Equal(63.0, actual.Order);
        Assert.True(actual.OrderAtGridEdge);
        Assert.True(RdpAccountant.ComputeEpsilon(0.01, 5.0, 1, 1e-5, RdpOrderGrid.OpacusExtended).Epsilon < actual.Epsilon);
    }

    [Fact]
    public void Defaults_AreOpacusGridAndImprovedConversion()
    {
        RdpAccountant accountant = new();
        accountant.AddSampledGaussian(0.05, 1.1, 100);

        PrivacyGuarantee byDefault = accountant.GetEpsilon(1e-5);

        Assert.Same(RdpOrderGrid.OpacusDefault, accountant.Grid);
        Assert.Equal(RdpAccountant.ComputeEpsilon(0.05, 1.1, 100, 1e-5, RdpOrderGrid.OpacusDefault, RdpConversion.Balle2020), byDefault);
    }

    [Fact]
    public void AddSampledGaussian_Heterogeneous_ComposesCurvesAdditively()
    {
        RdpAccountant accountant = new(RdpOrderGrid.OpacusExtended);

        accountant.AddSampledGaussian(0.01, 1.0, 300);
        accountant.AddSampledGaussian(0.05, 2.0, 20);
        accountant.AddSampledGaussian(0.01, 1.0, 700);

        ReadOnlySpan<double> orders = RdpOrderGrid.OpacusExtended.Orders;
        for (int i = 0; i < orders.Length; i++)
        {
            double expected = (1000 * SampledGaussianRdp.Compute(0.01, 1.0, orders[i])) + (20 * SampledGaussianRdp.Compute(0.05, 2.0, orders[i]));
            Assert.Equal(expected, accountant.Rdp[i], Math.Abs(expected) * 1e-13);
        }

        Assert.Equal(
            [new SampledGaussianEntry(0.01, 1.0, 300), new SampledGaussianEntry(0.05, 2.0, 20), new SampledGaussianEntry(0.01, 1.0, 700)],
            accountant.History);
    }

    [Fact]
    public void AddSampledGaussian_SplitSteps_EqualsOneEntry()
    {
        RdpAccountant split = new();
        for (int round = 0; round < 10; round++)
        {
            split.AddSampledGaussian(0.01, 1.1, 100);
        }

        PrivacyGuarantee whole = RdpAccountant.ComputeEpsilon(0.01, 1.1, 1000, 1e-5);

        Assert.Equal(whole.Epsilon, split.GetEpsilon(1e-5).Epsilon, 1e-12);
        Assert.Equal(whole.Order, split.GetEpsilon(1e-5).Order);
    }

    [Fact]
    public void GetEpsilon_NoEntries_OnlyConversionTerm()
    {
        RdpAccountant empty = new();

        PrivacyGuarantee guarantee = empty.GetEpsilon(1e-5);

        // With R ≡ 0 the improved bound is min over α of ln((α−1)/α) − (ln δ + ln α)/(α−1), reached at α = 63.
        Assert.Equal(Math.Log(62.0 / 63.0) - ((Math.Log(1e-5) + Math.Log(63.0)) / 62.0), guarantee.Epsilon, 1e-14);
    }

    [Fact]
    public void GetDelta_AtReportedEpsilon_GivesBackDelta()
    {
        RdpAccountant accountant = new();
        accountant.AddSampledGaussian(0.01, 1.1, 1000);

        foreach (RdpConversion conversion in new[] { RdpConversion.Balle2020, RdpConversion.Classic })
        {
            PrivacyGuarantee guarantee = accountant.GetEpsilon(1e-5, conversion);

            double delta = accountant.GetDelta(guarantee.Epsilon, conversion);

            Assert.Equal(1e-5, delta, 1e-5 * 1e-9);
            Assert.True(accountant.GetDelta(guarantee.Epsilon * 1.1, conversion) < 1e-5);
            Assert.True(accountant.GetDelta(guarantee.Epsilon * 0.9, conversion) > 1e-5);
        }
    }

    [Fact]
    public void AddSampledGaussian_ZeroSteps_CostsNothing()
    {
        RdpAccountant accountant = new();

        accountant.AddSampledGaussian(0.5, 0.0, 0);

        Assert.All(accountant.Rdp.ToArray(), r => Assert.Equal(0.0, r));
        Assert.Single(accountant.History);
    }

    [Fact]
    public void AddSampledGaussian_NegativeSteps_Throws()
    {
        RdpAccountant accountant = new();

        Assert.Throws<ArgumentOutOfRangeException>(() => accountant.AddSampledGaussian(0.1, 1.0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => accountant.AddSampledGaussian(1.5, 1.0, 1));
        Assert.Empty(accountant.History);
    }
}
