using Consortia.Privacy.Accounting;

namespace Consortia.Privacy.Tests.Accounting;

public sealed class RdpOrderGridTests
{
    [Fact]
    public void NamedGrids_HaveDocumentedSizesAndEnds()
    {
        Assert.Equal(151, RdpOrderGrid.OpacusDefault.Count);
        Assert.Equal(155, RdpOrderGrid.OpacusExtended.Count);
        Assert.Equal(156, RdpOrderGrid.DpAccountingDefault.Count);
        Assert.Equal(128, RdpOrderGrid.Integer2To128And256.Count);
        Assert.Equal(1.1, RdpOrderGrid.OpacusDefault.Orders[0]);
        Assert.Equal(63.0, RdpOrderGrid.OpacusDefault.Orders[^1]);
        Assert.Equal(1024.0, RdpOrderGrid.OpacusExtended.Orders[^1]);
        Assert.Equal(11.0, RdpOrderGrid.DpAccountingDefault.Orders[99]);
        Assert.Equal(256.0, RdpOrderGrid.Integer2To128And256.Orders[^1]);
    }

    [Fact]
    public void NamedGrids_AreStrictlyIncreasingAndAboveOne()
    {
        foreach (string name in RdpOrderGrid.KnownNames)
        {
            Assert.True(RdpOrderGrid.TryParse(name, out RdpOrderGrid? grid));
            Assert.Equal(name, grid.Name);
            Assert.True(grid.Orders[0] > 1.0);
            for (int i = 1; i < grid.Count; i++)
            {
                Assert.True(grid.Orders[i] > grid.Orders[i - 1], $"{name}[{i}]");
            }
        }
    }

    [Theory]
    [InlineData("opacus", "opacus_default")]
    [InlineData("OPACUS-extended", "opacus_extended")]
    [InlineData("dp-accounting", "dp_accounting_default")]
    [InlineData(" integer ", "integer_2_128_256")]
    public void TryParse_Aliases_FindCanonicalGrid(string alias, string canonical)
    {
        Assert.True(RdpOrderGrid.TryParse(alias, out RdpOrderGrid? grid));
        Assert.Equal(canonical, grid.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("opacus_defaults")]
    [InlineData(null)]
    public void TryParse_UnknownName_ReturnsFalse(string? name)
    {
        Assert.False(RdpOrderGrid.TryParse(name, out _));
    }

    [Fact]
    public void Create_InvalidOrders_ThrowsNamingTheProblem()
    {
        ArgumentException below = Assert.Throws<ArgumentException>(() => RdpOrderGrid.Create("bad", [2.0, 1.0]));
        ArgumentException unsorted = Assert.Throws<ArgumentException>(() => RdpOrderGrid.Create("bad", [3.0, 2.0]));

        Assert.Contains("greater than 1", below.Message, StringComparison.Ordinal);
        Assert.Contains("strictly increasing", unsorted.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RdpOrderGrid.Create("bad", []));
    }

    [Fact]
    public void Create_CopiesOrders()
    {
        double[] orders = [1.5, 2.0, 8.0];
        RdpOrderGrid grid = RdpOrderGrid.Create("mine", orders);

        orders[0] = 99.0;

        Assert.Equal(1.5, grid.Orders[0]);
        Assert.False(grid.HasSameOrders(RdpOrderGrid.OpacusDefault));
        Assert.True(grid.HasSameOrders(RdpOrderGrid.Create("other", [1.5, 2.0, 8.0])));
    }
}
