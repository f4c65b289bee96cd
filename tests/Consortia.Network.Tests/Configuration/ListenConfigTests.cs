using Consortia.Network.Configuration;
using Consortia.TestKit;

namespace Consortia.Network.Tests.Configuration;

/// <summary>coordinator.yaml's <c>listen:</c> section: the optional dashboard endpoint is checked like the others.</summary>
public sealed class ListenConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string listen)
    {
        string path = _dir.File("coordinator.yaml");
        File.WriteAllText(path, $"home: .\nlisten:\n{listen}");
        return path;
    }

    [Fact]
    public void Dashboard_NotConfigured_IsNotServed()
    {
        CoordinatorConfig config = CoordinatorConfig.Load(Write("  admin: 127.0.0.1:7445\n"));

        Assert.Null(config.Listen.Dashboard);
    }

    [Fact]
    public void Dashboard_Configured_IsRead()
    {
        CoordinatorConfig config = CoordinatorConfig.Load(Write("  dashboard: 127.0.0.1:7446\n"));

        Assert.Equal("127.0.0.1:7446", config.Listen.Dashboard);
    }

    [Theory]
    [InlineData("  dashboard: 127.0.0.1:7445\n", "different ports")] // the admin port's default
    [InlineData("  dashboard: 127.0.0.1\n", "listen.dashboard: expected host:port")]
    public void Dashboard_OnATakenPortOrMalformed_IsRefusedNamingTheField(string listen, string expected)
    {
        string path = Write(listen);

        ConfigurationException error = Assert.Throws<ConfigurationException>(() => CoordinatorConfig.Load(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
    }
}
