using System.Collections.Concurrent;
using System.Diagnostics;
using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Network.Node;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Tests.Nodes;

/// <summary>A node handler that takes every job and never gets a task (connection tests).</summary>
internal sealed class IdleHandler(string site) : ISiteWorkHandler
{
    public SiteId Site { get; } = new(site);

    public ValueTask<JobReadiness> PrepareJobAsync(string jobId, string jobYaml, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new JobReadiness(true, 1));

    public ValueTask<SiteReply> HandleAsync(string jobId, SiteTask task, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("no task is expected in this test");

    public void EndJob(string jobId)
    {
    }
}

/// <summary>A logger that keeps every formatted line.</summary>
internal sealed class RecordingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((logLevel, formatter(state, exception)));

    public int Count(string fragment) => Lines.Count(l => l.Message.Contains(fragment, StringComparison.Ordinal));
}

/// <summary>Waiting on a condition with a timeout (never sleeping a fixed time to wait).</summary>
internal static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) => TrueAsync(condition, () => what, timeout);

    public static async Task TrueAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        Stopwatch clock = Stopwatch.StartNew();
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(clock.Elapsed < limit, $"timed out after {limit.TotalSeconds} s waiting for {what()}");
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, TestContext.Current.CancellationToken);
        }
    }
}
