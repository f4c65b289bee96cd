using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;

namespace Consortia.SecureAggregation.Aggregation;

/// <summary>
/// How the coordinator's transport carries one stage of a session: deliver the server messages to their
/// recipients, then stream back the replies in arrival order until the stage's deadline.
/// </summary>
/// <remarks>
/// Implemented by the federation layer over its site transport (in-process or gRPC). The sender of each
/// reply must be authenticated by the transport. The enumeration ends at the deadline; the aggregator stops
/// early once every recipient has answered. Replies that arrive later are simply not delivered.
/// </remarks>
public interface ISecAggServerChannel
{
    /// <summary>Delivers <paramref name="messages"/> and streams the replies of <paramref name="stage"/>.</summary>
    /// <param name="stage">The stage the messages open.</param>
    /// <param name="messages">One message per recipient.</param>
    /// <param name="cancellationToken">Cancels the whole session.</param>
    /// <returns>The replies, in arrival order, until the stage's deadline.</returns>
    public IAsyncEnumerable<SecAggClientMessage> ExchangeAsync(SecAggStage stage, IReadOnlyList<SecAggServerMessage> messages, CancellationToken cancellationToken);
}
