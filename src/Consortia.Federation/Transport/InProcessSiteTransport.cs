using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Consortia.Federation.Sites;

namespace Consortia.Federation.Transport;

/// <summary>Calls <see cref="SiteAgent"/> objects in this process, with bounded parallelism.</summary>
/// <remarks>
/// Replies are yielded in arrival order, as over a network; the engine re-orders them canonically
/// before any floating-point sum, so results do not depend on thread scheduling.
/// </remarks>
public sealed class InProcessSiteTransport : ISiteTransport
{
    private readonly Dictionary<SiteId, SiteAgent> _agents;
    private readonly int _parallelism;
    private readonly TimeProvider? _time;

    /// <summary>Creates a transport over the given agents.</summary>
    /// <param name="agents">The site agents, in canonical order.</param>
    /// <param name="parallelism">How many sites work at once; defaults to the processor count.</param>
    /// <param name="time">The time source for deadlines; <see langword="null"/>: no deadline cuts a site short (every site answers; simulation's virtual clock does not move within a round either).</param>
    public InProcessSiteTransport(IReadOnlyList<SiteAgent> agents, int? parallelism = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(agents);
        _agents = agents.ToDictionary(a => a.Site);
        Roster = [.. agents.Select(a => a.Site)];
        _parallelism = Math.Max(1, parallelism ?? Environment.ProcessorCount);
        _time = time;
    }

    /// <inheritdoc />
    public IReadOnlyList<SiteId> Roster { get; }

    /// <inheritdoc />
    public async IAsyncEnumerable<SiteReply> DispatchAsync(
        IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0)
        {
            yield break;
        }

        using CancellationTokenSource expiry = deadline is { } d && _time is not null
            ? new CancellationTokenSource(d, _time)
            : new CancellationTokenSource();
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        Channel<SiteReply> replies = Channel.CreateUnbounded<SiteReply>(new UnboundedChannelOptions { SingleReader = true });
        using SemaphoreSlim slots = new(_parallelism, _parallelism);

        Task[] workers = [.. tasks.Select(task => Task.Run(() => RunAsync(task), CancellationToken.None))];
        _ = Task.WhenAll(workers).ContinueWith(_ => replies.Writer.TryComplete(), TaskScheduler.Default);

        await foreach (SiteReply reply in replies.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return reply;
        }

        async Task RunAsync(SiteTask task)
        {
            SiteReply reply;
            try
            {
                await slots.WaitAsync(linked.Token).ConfigureAwait(false);
                try
                {
                    reply = _agents.TryGetValue(task.Site, out SiteAgent? agent)
                        ? await agent.HandleAsync(task, linked.Token).ConfigureAwait(false)
                        : new Failed(task.Site, task.Round, "unknown-site", $"No site named '{task.Site}' is connected.");
                }
                finally
                {
                    slots.Release();
                }
            }
            catch (OperationCanceledException)
            {
                reply = new Missed(task.Site, task.Round);
            }

            replies.Writer.TryWrite(reply);
        }
    }
}
