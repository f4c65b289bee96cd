using Consortia.Federation.Jobs.Store;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Jobs.Store;

/// <summary>The in-memory store keeps the whole job store contract (except surviving its own disposal).</summary>
public sealed class InMemoryJobStoreContractTests : JobStoreContractTests
{

    /// <inheritdoc />
    protected override IJobStore OpenStore(int? checkpointsToKeep = 5) => new InMemoryJobStore(Time, checkpointsToKeep);

    [Fact]
    public void CheckpointsToKeep_BelowOne_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new InMemoryJobStore(Time, 0));
}
