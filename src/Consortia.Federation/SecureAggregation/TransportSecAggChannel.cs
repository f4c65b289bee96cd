using System.Runtime.CompilerServices;
using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;

namespace Consortia.Federation.SecureAggregation;

/// <summary>Carries a secure aggregation session's stages over the engine's site transport.</summary>
/// <remarks>
/// Participant i (1-based) is the i-th site of the session. The transport authenticates who answers, so a
/// reply is passed on only when its protocol sender is the participant of the site that sent it.
/// </remarks>
internal sealed class TransportSecAggChannel(ISiteTransport transport, RoundNumber round, IReadOnlyList<SiteId> participants, TimeSpan? stageTimeout, string jobSha256)
    : ISecAggServerChannel
{
    /// <summary>SHA-256 of each masked input received, for the coordinator's audit ledger.</summary>
    public Dictionary<SiteId, string> MaskedInputHashes { get; } = [];

    public async IAsyncEnumerable<SecAggClientMessage> ExchangeAsync(
        SecAggStage stage, IReadOnlyList<SecAggServerMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        SiteTask[] tasks = [.. messages.Select(m => (SiteTask)new SecAggTask(participants[m.Recipient.Value - 1], round, m) { JobSha256 = jobSha256 })];
        await foreach (SiteReply reply in transport.DispatchAsync(tasks, stageTimeout, cancellationToken).ConfigureAwait(false))
        {
            if (reply is SecAggReplied answered && answered.Message.Sender.Value - 1 < participants.Count
                && participants[answered.Message.Sender.Value - 1] == answered.Site)
            {
                if (answered.Message is MaskedInput masked)
                {
                    MaskedInputHashes[answered.Site] = UpdateHash.Of(masked.Vector.Span);
                }

                yield return answered.Message;
            }
        }
    }
}
