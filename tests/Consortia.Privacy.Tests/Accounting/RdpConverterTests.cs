using Consortia.Privacy.Accounting;

namespace Consortia.Privacy.Tests.Accounting;

public sealed class RdpConverterTests
{
    [Fact]
    public void ToEpsilon_Improved_NeverWorseThanClassic()
    {
        ReadOnlySpan<double> orders = RdpOrderGrid.OpacusExtended.Orders;
        double[] rdp = new double[orders.Length];
        SampledGaussianRdp.Compute(0.03, 0.9, orders, rdp);

        for (int steps = 1; steps <= 10_000; steps *= 10)
        {
            double[] total = rdp.Select(r => r * steps).ToArray();

            double improved = RdpConverter.ToEpsilon(orders, total, 1e-6, RdpConversion.Balle2020).Epsilon;
            double classic = RdpConverter.ToEpsilon(orders, total, 1e-6, RdpConversion.Classic).Epsilon;

            Assert.True(improved <= classic, $"{steps} steps: {improved} > {classic}");
        }
    }

    [Fact]
    public void ToEpsilon_SingleOrder_MatchesFormulas()
    {
        double[] orders = [8.0];
        double[] rdp = [0.5];
        double delta = 1e-6;

        double classic = RdpConverter.ToEpsilon(orders, rdp, delta, RdpConversion.Classic).Epsilon;
        double improved = RdpConverter.ToEpsilon(orders, rdp, delta, RdpConversion.Balle2020).Epsilon;

        Assert.Equal(0.5 + (Math.Log(1 / delta) / 7), classic, 1e-14);
        Assert.Equal(0.5 + Math.Log(7.0 / 8.0) - ((Math.Log(delta) + Math.Log(8.0)) / 7), improved, 1e-14);
    }

    [Fact]
    public void ToEpsilon_DpAccountingRules_SkipLowOrdersAndUseKlBound()
    {
        // Order 1.005 is skipped by the RDP bound; a tiny R at order 2 satisfies δ² + e^{−R} − 1 > 0, so ε = 0 there.
        double[] orders = [1.005, 2.0];
        double[] tiny = [1.0, 1e-12];
        double[] lowOnly = [0.0, 50.0];

        PrivacyGuarantee kl = RdpConverter.ToEpsilon(orders, tiny, 1e-5, RdpConversion.Canonne2020DpAccounting);
        PrivacyGuarantee zeroR = RdpConverter.ToEpsilon(orders, lowOnly, 1e-5, RdpConversion.Canonne2020DpAccounting);

        Assert.Equal(0.0, kl.Epsilon);
        Assert.Equal(2.0, kl.Order);
        Assert.Equal(0.0, zeroR.Epsilon);
        Assert.Equal(1.005, zeroR.Order);
    }

    [Fact]
    public void ToEpsilon_AllInfinite_ReturnsInfinityWithNaNOrder()
    {
        double[] orders = [2.0, 3.0];
        double[] rdp = [double.PositiveInfinity, double.PositiveInfinity];

        PrivacyGuarantee guarantee = RdpConverter.ToEpsilon(orders, rdp, 1e-5);

        Assert.Equal(double.PositiveInfinity, guarantee.Epsilon);
        Assert.True(double.IsNaN(guarantee.Order));
    }

    [Fact]
    public void ToEpsilon_InvalidArguments_Throw()
    {
        double[] orders = [2.0, 3.0];
        double[] rdp = [0.1];

        Assert.Throws<ArgumentException>(() => RdpConverter.ToEpsilon(orders, rdp, 1e-5));
        Assert.Throws<ArgumentOutOfRangeException>(() => RdpConverter.ToEpsilon(orders, [0.1, 0.2], 0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RdpConverter.ToEpsilon(orders, [0.1, 0.2], 1.0));
        Assert.Throws<ArgumentException>(() => RdpConverter.ToEpsilon([1.0], [0.1], 1e-5));
        Assert.Throws<ArgumentOutOfRangeException>(() => RdpConverter.ToDelta(orders, [0.1, 0.2], -1.0));
    }

    [Fact]
    public void ToDelta_LargeEpsilon_SmallDelta_AndCappedAtOne()
    {
        double[] orders = [2.0, 10.0];
        double[] rdp = [1.0, 3.0];

        Assert.True(RdpConverter.ToDelta(orders, rdp, 50.0) < 1e-100);
        Assert.Equal(1.0, RdpConverter.ToDelta(orders, rdp, 0.0, RdpConversion.Classic));
    }

    [Theory]
    [InlineData(RdpConversion.Balle2020, "balle2020")]
    [InlineData(RdpConversion.Classic, "classic")]
    [InlineData(RdpConversion.Canonne2020DpAccounting, "canonne2020_dpacc")]
    public void GetNameAndTryParse_RoundTrip(RdpConversion conversion, string name)
    {
        Assert.Equal(name, RdpConverter.GetName(conversion));
        Assert.True(RdpConverter.TryParse(name.ToUpperInvariant(), out RdpConversion parsed));
        Assert.Equal(conversion, parsed);
    }

    [Fact]
    public void TryParse_Aliases_AndUnknown()
    {
        Assert.True(RdpConverter.TryParse("improved", out RdpConversion improved));
        Assert.Equal(RdpConversion.Balle2020, improved);
        Assert.True(RdpConverter.TryParse("dp-accounting", out RdpConversion dpacc));
        Assert.Equal(RdpConversion.Canonne2020DpAccounting, dpacc);
        Assert.False(RdpConverter.TryParse("exact", out _));
    }
}
