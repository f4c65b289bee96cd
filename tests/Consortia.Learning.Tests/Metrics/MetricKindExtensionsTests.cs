using Consortia.Learning.Metrics;

namespace Consortia.Learning.Tests.Metrics;

public sealed class MetricKindExtensionsTests
{
    [Theory]
    [InlineData(MetricKind.Accuracy, "accuracy", true)]
    [InlineData(MetricKind.RocAuc, "roc_auc", true)]
    [InlineData(MetricKind.LogLoss, "log_loss", false)]
    [InlineData(MetricKind.BrierScore, "brier", false)]
    [InlineData(MetricKind.ConcordanceIndex, "c_index", true)]
    public void ReportNameAndDirection_EachKind_MatchReportConvention(MetricKind kind, string name, bool higherIsBetter)
    {
        Assert.Equal(name, kind.ReportName());
        Assert.Equal(higherIsBetter, kind.HigherIsBetter());
    }

    [Fact]
    public void TryParseReportName_EveryReportName_RoundTrips()
    {
        foreach (MetricKind kind in Enum.GetValues<MetricKind>())
        {
            Assert.True(MetricKindExtensions.TryParseReportName(kind.ReportName(), out MetricKind parsed));
            Assert.Equal(kind, parsed);
        }
    }

    [Theory]
    [InlineData("ROC_AUC")]
    [InlineData("auc")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParseReportName_UnknownName_ReturnsFalse(string? name)
    {
        Assert.False(MetricKindExtensions.TryParseReportName(name, out _));
    }

    [Fact]
    public void ReportName_UndefinedValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((MetricKind)99).ReportName());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((MetricKind)99).HigherIsBetter());
    }
}
