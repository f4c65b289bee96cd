using Consortia.Federation.Sites;

namespace Consortia.Federation.Transport;

/// <summary>The coordinator's only way to reach sites: in-process in simulation, gRPC in deployment.</summary>
public interface ISiteTransport
{
    /// <summary>The sites currently available, in canonical (stable) order.</summary>
    public IReadOnlyList<SiteId> Roster { get; }

    /// <summary>Sends tasks and yields the replies in arrival order.</summary>
    /// <param name="tasks">At most one task per site.</param>
    /// <param name="deadline">How long to wait for replies; sites that have not answered by then yield <see cref="Missed"/>. <see langword="null"/> waits for all.</param>
    /// <param name="cancellationToken">Cancels the dispatch.</param>
    /// <returns>Exactly one reply per task.</returns>
    public IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, CancellationToken cancellationToken);
}
