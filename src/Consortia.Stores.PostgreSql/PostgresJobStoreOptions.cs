using Npgsql;

namespace Consortia.Stores.PostgreSql;

/// <summary>Which PostgreSQL database holds the coordinator's jobs, and how many checkpoints it keeps.</summary>
public sealed record PostgresJobStoreOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=/run/postgresql;Database=consortia;Username=consortia</c> (a Unix socket folder or a host name).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Checkpoints kept per job: the newest this-many are kept, older ones are deleted in the transaction that commits a round; <see langword="null"/> keeps all.</summary>
    /// <value>Default: 5. The newest checkpoint is never deleted, so resume never depends on this setting.</value>
    public int? CheckpointsToKeep { get; init; } = 5;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A field is out of range or the connection string does not parse.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("coordinator store: connection is required for PostgreSQL.");
        }

        _ = Describe(ConnectionString);
        if (CheckpointsToKeep is < 1)
        {
            throw new ArgumentException($"coordinator store: checkpoints_to_keep must be at least 1 (or unset to keep all), got {CheckpointsToKeep}.");
        }
    }

    /// <summary>The connection string without its password, for messages and logs.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <returns>Host, port, database and user: never the password.</returns>
    /// <exception cref="ArgumentException">The connection string does not parse (the message does not repeat it).</exception>
    public static string Describe(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException error)
        {
            // The parser's message can quote the string, password included: keep only its gist.
            throw new ArgumentException($"coordinator store: the PostgreSQL connection string does not parse ({error.GetType().Name}); expected keywords such as Host=...;Database=...;Username=...");
        }

        return $"host '{builder.Host}', port {builder.Port}, database '{builder.Database}', user '{builder.Username}'";
    }
}
