using Consortia.Governance.Policies;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Consortia.Governance.Tests.Policies;

public sealed class MetricSuppressionTests
{
    [Property(MaxTest = 100)]
    public void Apply_AnyCounts_SuppressedExactlyBelowMinimum(NonNegativeInt cells, PositiveInt minimum, NormalFloat value)
    {
        AggregateMetric metric = MetricSuppression.Apply("m", value.Get, cells.Get, minimum.Get);

        Assert.Equal(cells.Get < minimum.Get, metric.Suppressed);
        Assert.Equal(metric.Suppressed ? null : value.Get, metric.Value);
        Assert.Equal(metric.Suppressed, metric.Reason is not null);
    }
}
