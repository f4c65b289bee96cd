using Npgsql;

namespace Consortia.Stores.PostgreSql;

/// <summary>The advisory-lock keys Consortia takes in a coordinator database (advisory locks are per database).</summary>
internal static class LockKeys
{
    /// <summary>Held (per transaction) while the schema is checked or created.</summary>
    public const long Schema = 0x436F_6E73_6F72_0001; // "Consor" + 1

    /// <summary>Held (per session, for the process lifetime) by the active coordinator.</summary>
    public const long Active = 0x436F_6E73_6F72_0002;
}

/// <summary>
/// The database lock that makes one of several coordinator replicas on one PostgreSQL database the active one: a
/// session-level <c>pg_advisory_lock</c> held on a dedicated connection for as long as the process lives.
/// </summary>
/// <remarks>
/// <para>
/// A standby waits in <see cref="AcquireAsync"/> (the database queues it; no polling). When the active process dies —
/// even by kill -9 — the operating system closes its socket, PostgreSQL ends its session and releases the lock, and the
/// waiting standby's call returns at once.
/// </para>
/// <para>
/// <see cref="Lost"/> fires when the lock connection fails a periodic check (database restarted, network cut): the
/// lock may then be held by another replica, so the holder must stop at once. Even in the window before it notices,
/// the job store's row locks and <c>(job_id, round)</c> key keep two writers from committing a round twice or leaving a gap.
/// </para>
/// </remarks>
public sealed class CoordinatorLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;

    private CoordinatorLock(NpgsqlConnection connection, TimeSpan checkEvery, TimeProvider time)
    {
        _connection = connection;
        _watch = WatchAsync(checkEvery, time);
    }

    /// <summary>Cancelled when the lock connection failed: this process may no longer be the active one.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Why <see cref="Lost"/> fired, when it did.</summary>
    public string? LostReason { get; private set; }

    /// <summary>Waits until this process holds the active lock.</summary>
    /// <param name="connectionString">The coordinator database (the job store's connection string).</param>
    /// <param name="checkEvery">How often the held lock's connection is checked.</param>
    /// <param name="time">The clock for the checks.</param>
    /// <param name="onStandby">Called once, before waiting, when another replica holds the lock (this one is the standby).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The held lock; dispose it to release the lock.</returns>
    /// <exception cref="NpgsqlException">The database cannot be reached.</exception>
    public static async Task<CoordinatorLock> AcquireAsync(string connectionString, TimeSpan checkEvery, TimeProvider time, Action onStandby, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onStandby);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(checkEvery, TimeSpan.Zero);
        NpgsqlConnection connection = new(Dedicated(connectionString));
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (NpgsqlCommand attempt = new("SELECT pg_try_advisory_lock(@key);", connection))
            {
                attempt.Parameters.AddWithValue("key", LockKeys.Active);
                if ((bool)(await attempt.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    return new CoordinatorLock(connection, checkEvery, time);
                }
            }

            onStandby();
            await using (NpgsqlCommand take = new("SELECT pg_advisory_lock(@key);", connection))
            {
                take.Parameters.AddWithValue("key", LockKeys.Active);
                take.CommandTimeout = 0; // a standby may wait for days
                await take.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new CoordinatorLock(connection, checkEvery, time);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false); // ends the session: the lock is released
        _stop.Dispose();
        _lost.Dispose();
    }

    private async Task WatchAsync(TimeSpan checkEvery, TimeProvider time)
    {
        using PeriodicTimer timer = new(checkEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                await using NpgsqlCommand check = new("SELECT 1;", _connection);
                check.CommandTimeout = Math.Max(1, (int)checkEvery.TotalSeconds);
                await check.ExecuteScalarAsync(_stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Released on purpose.
        }
        catch (Exception error) when (error is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            LostReason = $"the connection holding the coordinator lock failed: {error.Message}";
            await _lost.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The lock's own connection: not pooled (a pooled connection would outlive a dispose), with TCP keep-alives.</summary>
    private static string Dedicated(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 10, ApplicationName = "consortia-coordinator-lock" }.ConnectionString;
}
