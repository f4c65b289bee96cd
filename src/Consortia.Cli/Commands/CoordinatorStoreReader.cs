using System.Data.Common;
using Consortia.Federation.Jobs.Store;
using Consortia.Network.Configuration;
using Consortia.Stores.PostgreSql;
using Npgsql;

namespace Consortia.Cli.Commands;

/// <summary>A coordinator's job store opened to be read, and how to name it in messages and reports.</summary>
/// <param name="Jobs">The open store (dispose it).</param>
/// <param name="Name">What the report says the rounds were read from (a file name, or PostgreSQL's host and database).</param>
/// <param name="Where">What an error while reading names (the file, or the configuration file and its <c>store.</c> field).</param>
internal sealed record OpenedCoordinatorStore(IJobStore Jobs, string Name, string Where) : IDisposable
{
    public void Dispose() => Jobs.Dispose();
}

/// <summary>
/// Opens the job store of a coordinator for reading, the one its configuration selects: <c>--store FILE</c> (a SQLite
/// file), <c>--config coordinator.yaml</c> (read with the loader <c>consortia coordinator</c> uses: SQLite in its home or
/// PostgreSQL), or <c>--home DIR</c> (its <c>coordinator.yaml</c> when it holds one, else its <c>coordinator.db</c>).
/// </summary>
/// <remarks>
/// Reading must not change the coordinator's database. SQLite: a missing file is an error before anything is opened
/// (opening would create it). PostgreSQL: <see cref="PostgresJobStore.Open"/> creates the schema in a database that has
/// none and upgrades a version-1 schema in place; here the session is read-only (<c>default_transaction_read_only</c>),
/// so the database itself refuses both, and every other write, and the refusal is reported as "no coordinator schema".
/// </remarks>
internal static class CoordinatorStoreReader
{
    /// <summary>The file in a coordinator home that holds its SQLite store.</summary>
    public const string SqliteFile = "coordinator.db";

    /// <summary>The configuration file <c>--home DIR</c> looks for in the home.</summary>
    public const string ConfigFile = "coordinator.yaml";

    /// <summary>Opens the store the options name (at most one of them; none: the home from $CONSORTIA_HOME or the current folder).</summary>
    /// <exception cref="JobStoreException">The store is missing, unreachable or not a coordinator store (the message names the file or field).</exception>
    /// <exception cref="ConfigurationException">The configuration file is wrong (the message names the file, line and field).</exception>
    public static OpenedCoordinatorStore Open(FileInfo? store, FileInfo? config, DirectoryInfo? home, TimeProvider time)
    {
        int given = (store is null ? 0 : 1) + (config is null ? 0 : 1) + (home is null ? 0 : 1);
        if (given > 1)
        {
            throw new JobStoreException("give one of --store FILE, --config coordinator.yaml and --home DIR.");
        }

        if (store is not null)
        {
            return OpenSqlite(store.FullName, $"{store.FullName}: no coordinator store there (pass the SQLite file, or --config coordinator.yaml for a coordinator's configured store).", time);
        }

        if (config is not null)
        {
            return OpenConfigured(config.FullName, time);
        }

        string folder = home?.FullName ?? Environment.GetEnvironmentVariable("CONSORTIA_HOME") ?? Directory.GetCurrentDirectory();
        string configured = Path.Combine(folder, ConfigFile);
        return File.Exists(configured)
            ? OpenConfigured(configured, time)
            : OpenSqlite(Path.Combine(folder, SqliteFile), $"{folder}: neither {SqliteFile} (a SQLite coordinator's store) nor {ConfigFile} there; pass --store FILE, or --config with the file given to `consortia coordinator --config` (a PostgreSQL coordinator's store is named in its store: section).", time);
    }

    private static OpenedCoordinatorStore OpenConfigured(string path, TimeProvider time)
    {
        CoordinatorConfig config = CoordinatorConfig.Load(path); // the coordinator's own loader and checks
        StoreConfig store = config.Store;
        if (!store.IsPostgreSql)
        {
            string file = Path.Combine(config.Home, SqliteFile);
            return OpenSqlite(file, $"{path}: store.kind is sqlite, but the coordinator's home has no {SqliteFile} ({file}); is home: right, and has the coordinator started there?", time);
        }

        string field = store.Connection is { Length: > 0 } ? "store.connection" : "store.connection_env";
        string where = $"{path}: {field}";
        NpgsqlConnectionStringBuilder connection = new(store.ResolveConnection()); // Load checked that it resolves and parses
        // Options reach the server as startup parameters: every transaction of this session is read-only.
        connection.Options = $"{connection.Options} -c default_transaction_read_only=on".Trim();
        try
        {
            PostgresJobStore opened = PostgresJobStore.Open(new PostgresJobStoreOptions { ConnectionString = connection.ConnectionString, CheckpointsToKeep = null }, time);
            return new OpenedCoordinatorStore(opened, $"PostgreSQL ({opened.Description})", where);
        }
        catch (JobStoreException error) when (error.InnerException is PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction })
        {
            throw new JobStoreException($"{where}: PostgreSQL store ({PostgresJobStoreOptions.Describe(connection.ConnectionString)}) holds no coordinator schema of the current version (the coordinator creates it, or upgrades an older one, when it starts; a report only reads): is this the coordinator's database, and has the coordinator started on it?", error);
        }
        catch (JobStoreException error)
        {
            throw new JobStoreException($"{where}: {error.Message}", error);
        }
    }

    private static OpenedCoordinatorStore OpenSqlite(string path, string missing, TimeProvider time)
    {
        // Opening a missing file would create an empty store: refuse first.
        if (!File.Exists(path))
        {
            throw new JobStoreException(missing);
        }

        try
        {
            return new OpenedCoordinatorStore(SqliteJobStore.Open(new SqliteJobStoreOptions { Path = path }, time), Path.GetFileName(path), path);
        }
        catch (DbException error)
        {
            throw new JobStoreException($"{path}: {error.Message}", error);
        }
    }
}
