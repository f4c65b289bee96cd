using Consortia.Network.Configuration;
using Consortia.Network.Coordinator;
using Consortia.TestKit;

namespace Consortia.Network.Tests.Configuration;

/// <summary>coordinator.yaml's <c>store:</c> section, and the one-coordinator-per-home rule of the SQLite store.</summary>
public sealed class StoreConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string store)
    {
        string path = _dir.File("coordinator.yaml");
        File.WriteAllText(path, $"home: .\nround_timeout: 5m\n{store}");
        return path;
    }

    [Fact]
    public void NoStoreSection_IsSqliteInTheHome()
    {
        CoordinatorConfig config = CoordinatorConfig.Load(Write(""));
        Assert.False(config.Store.IsPostgreSql);
        Assert.Equal(StoreConfig.Sqlite, config.Store.Kind);
    }

    [Fact]
    public void UnknownKind_IsNamedWithFileLineAndField()
    {
        string path = Write("store:\n  kind: mysql\n");
        ConfigurationException error = Assert.Throws<ConfigurationException>(() => CoordinatorConfig.Load(path));
        Assert.StartsWith($"{path}:4: store.kind: expected sqlite or postgresql, got 'mysql'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PostgreSql_WithoutConnection_IsRefused()
    {
        string path = Write("store:\n  kind: postgresql\n");
        ConfigurationException error = Assert.Throws<ConfigurationException>(() => CoordinatorConfig.Load(path));
        Assert.Contains("store.connection: required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PostgreSql_ConnectionEnv_ReadsTheVariable_AndAMissingVariableIsNamed()
    {
        string variable = "CONSORTIA_TEST_STORE_" + Guid.NewGuid().ToString("N");
        string path = Write($"store:\n  kind: postgresql\n  connection_env: {variable}\n");
        ConfigurationException missing = Assert.Throws<ConfigurationException>(() => CoordinatorConfig.Load(path));
        Assert.Contains($"{path}:5: store.connection_env: the environment variable {variable} is not set", missing.Message, StringComparison.Ordinal);

        Environment.SetEnvironmentVariable(variable, "Host=/run/postgresql;Database=consortia;Username=coordinator;Password=hunter2");
        try
        {
            CoordinatorConfig config = CoordinatorConfig.Load(path);
            Assert.True(config.Store.IsPostgreSql);
            Assert.Contains("Database=consortia", config.Store.ResolveConnection(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Sqlite_WithAConnection_IsRefused()
    {
        string path = Write("store:\n  kind: sqlite\n  connection: Host=x\n");
        ConfigurationException error = Assert.Throws<ConfigurationException>(() => CoordinatorConfig.Load(path));
        Assert.Contains($"{path}:5: store: a connection is only for kind: postgresql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sqlite_SecondCoordinatorOnTheSameHome_IsRefusedClearly()
    {
        CoordinatorConfig config = CoordinatorConfig.Load(Write(""));
        // The first coordinator's lock on the home (the kernel releases it when that process dies, even by kill -9).
        using FileStream first = new(Path.Combine(config.Home, "coordinator.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        ConfigurationException error = await Assert.ThrowsAsync<ConfigurationException>(() => CoordinatorHost.RunAsync(config, _ => { }, TestContext.Current.CancellationToken));
        Assert.Contains("another coordinator is running on this home", error.Message, StringComparison.Ordinal);
    }
}
