using Consortia.TestKit;

namespace Consortia.Stores.PostgreSql.Tests;

/// <summary>One throw-away PostgreSQL server per test class (each test then takes a fresh database of it).</summary>
public sealed class PostgresServerFixture : IDisposable
{
    /// <summary>The running server (starting it fails the class's tests with the reason if PostgreSQL cannot start).</summary>
    public PostgresServer Server { get; } = PostgresServer.Start();

    public void Dispose() => Server.Dispose();
}
