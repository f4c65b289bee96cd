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
/// reply is passed on only when its protocol sender is the participant of the site that sent it; any other
/// reply (a sender index of 0, out of range, or another site's) is dropped.
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
            // A sender index out of 1..n (0 included) or naming another site is dropped here, so a hostile site
            // cannot fail the round for everyone: it simply counts as not having answered.
            if (reply is SecAggReplied answered && IsFromItsSite(answered))
            {
                if (answered.Message is MaskedInput masked)
                {
                    MaskedInputHashes[answered.Site] = UpdateHash.Of(masked.Vector.Span);
                }

                yield return answered.Message;
            }
        }
    }

    private bool IsFromItsSite(SecAggReplied answered)
    {
        int index = answered.Message.Sender.Value;
        return index >= 1 && index <= participants.Count && participants[index - 1] == answered.Site;
    }
}
