using Consortia.Network.Configuration;
using Consortia.TestKit;

namespace Consortia.Network.Tests.Configuration;

/// <summary>site.yaml's <c>capacity.examples_per_second</c>: the operator's stated speed, checked when the file loads.</summary>
public sealed class NodeCapacityConfigTests : IDisposable
{
    private const string Base = "site: cleveland\ncoordinator: https://127.0.0.1:7443\ndata:\n  path: data\n  site: cleveland\n";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void StatedSpeed_IsRead_AndAbsentMeansMeasured()
    {
        Assert.Equal(2500, Load(Base + "capacity:\n  examples_per_second: 2500\n").Capacity!.ExamplesPerSecond);
        Assert.Null(Load(Base).Capacity);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData(".nan")]
    public void NonPositiveSpeed_IsRefusedNamingTheKey(string value)
    {
        ConfigurationException error = Assert.Throws<ConfigurationException>(() => Load(Base + $"capacity:\n  examples_per_second: {value}\n"));

        Assert.Contains("capacity.examples_per_second: expected a positive number", error.Message, StringComparison.Ordinal);
    }

    private NodeConfig Load(string yaml)
    {
        string path = _dir.File("site.yaml");
        File.WriteAllText(path, yaml);
        return NodeConfig.Load(path);
    }
}
