using Consortia.TestKit;

namespace Consortia.Stores.PostgreSql.Tests;

/// <summary>The active/standby lock: one holder at a time, the standby takes over when the holder's session ends.</summary>
public sealed class CoordinatorLockTests(PostgresServerFixture fixture) : IClassFixture<PostgresServerFixture>
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);
    private readonly string _connection = fixture.Server.CreateDatabase("lock");

    [Fact]
    public async Task SecondReplica_IsStandby_UntilTheActiveOneReleases()
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        int firstStandby = 0;
        CoordinatorLock active = await CoordinatorLock.AcquireAsync(_connection, TimeSpan.FromSeconds(5), TimeProvider.System, () => firstStandby++, token);
        Assert.Equal(0, firstStandby);

        TaskCompletionSource standby = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<CoordinatorLock> waiting = CoordinatorLock.AcquireAsync(_connection, TimeSpan.FromSeconds(5), TimeProvider.System, () => standby.TrySetResult(), token);
        await standby.Task.WaitAsync(s_wait, token);
        Assert.False(waiting.IsCompleted);

        await active.DisposeAsync(); // the session ends: the database hands the lock to the waiting replica
        await using CoordinatorLock takenOver = await waiting.WaitAsync(s_wait, token);
        Assert.False(takenOver.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task WaitingStandby_CanBeCancelled()
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        await using CoordinatorLock active = await CoordinatorLock.AcquireAsync(_connection, TimeSpan.FromSeconds(5), TimeProvider.System, () => { }, token);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        TaskCompletionSource standby = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<CoordinatorLock> waiting = CoordinatorLock.AcquireAsync(_connection, TimeSpan.FromSeconds(5), TimeProvider.System, () => standby.TrySetResult(), stop.Token);
        await standby.Task.WaitAsync(s_wait, token);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(s_wait, token));
    }

    [Fact]
    public async Task LockConnectionKilled_FiresLost()
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        await using CoordinatorLock active = await CoordinatorLock.AcquireAsync(_connection, TimeSpan.FromMilliseconds(200), TimeProvider.System, () => { }, token);
        string database = new Npgsql.NpgsqlConnectionStringBuilder(_connection).Database!;
        fixture.Server.Sql(database, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'consortia-coordinator-lock';");

        TaskCompletionSource lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration registration = active.Lost.Register(() => lost.TrySetResult());
        await lost.Task.WaitAsync(s_wait, token);
        Assert.Contains("coordinator lock failed", active.LostReason, StringComparison.Ordinal);
    }
}
