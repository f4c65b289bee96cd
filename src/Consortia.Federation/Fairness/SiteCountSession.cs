using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;

namespace Consortia.Federation.Fairness;

/// <summary>
/// A site's part in the secure-aggregation session of a fairness audit: it holds the site's count vector and releases
/// it only masked, answering the coordinator's protocol messages (<see cref="SecAggTask"/>s) as a training round's
/// session does.
/// </summary>
/// <remarks>
/// The client signs with the site's long-term key and checks the other participants against the roster the site
/// accepted; its masks come from the system's cryptographic generator. Check the session with
/// <see cref="SecureSessionRules.Problem"/> before creating one. One message at a time (the node's per-job queue
/// serialises them).
/// </remarks>
public sealed class SiteCountSession : IDisposable
{
    private readonly SecAggClient _client;

    /// <summary>Creates the site's side of the session and hands it the counts.</summary>
    /// <param name="site">The site.</param>
    /// <param name="round">The round the session's tasks carry.</param>
    /// <param name="session">The session (checked by the caller).</param>
    /// <param name="participant">The site's 1-based index in the session.</param>
    /// <param name="signingKey">The site's long-term signing key.</param>
    /// <param name="roster">The roster the site accepted.</param>
    /// <param name="counts">The counts, each in [0, 2^32), of the session's vector length.</param>
    /// <exception cref="ArgumentException">The counts do not fit the session or a ring element.</exception>
    public SiteCountSession(SiteId site, RoundNumber round, SecAggSessionOptions session, int participant, ILedgerSigner signingKey, ConsortiumRoster roster, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentNullException.ThrowIfNull(roster);
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count != session.VectorLength)
        {
            throw new ArgumentException($"The session sums vectors of {session.VectorLength} counts; the site has {counts.Count}.", nameof(counts));
        }

        Site = site;
        Round = round;
        uint[] encoded = SecureCountSum.Encode(site.Value, counts);
        _client = new SecAggClient(session, new ParticipantIndex(participant), SystemSecureRandom.Instance, new SiteSigner(signingKey), new RosterSignatureVerifier(roster, session.Participants));
        _client.ProvideInput(encoded);
        Array.Clear(encoded); // the client keeps its own copy
    }

    /// <summary>The site.</summary>
    public SiteId Site { get; }

    /// <summary>The round the session's tasks carry.</summary>
    public RoundNumber Round { get; }

    /// <summary>Answers one protocol message.</summary>
    /// <param name="task">The coordinator's message.</param>
    /// <param name="maskedInputSent">Called with the masked input when the site sends it (for its ledger).</param>
    /// <returns>The site's protocol reply, or a failure naming why the message was not answered.</returns>
    public SiteReply Handle(SecAggTask task, Action<ReadOnlySpan<uint>> maskedInputSent)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(maskedInputSent);
        if (task.Round != Round)
        {
            return new Failed(Site, task.Round, "secagg-no-session", "No secure aggregation session is open at this site for that round.");
        }

        switch (_client.Handle(task.Message))
        {
            case ClientStep.Reply reply:
                if (reply.Message is MaskedInput masked)
                {
                    maskedInputSent(masked.Vector.Span);
                }

                return new SecAggReplied(Site, task.Round, reply.Message);
            case ClientStep.Rejected rejected:
                return new Failed(Site, task.Round, "secagg-rejected", $"{rejected.Rejection.Error}: the site ignored a protocol message.");
            case ClientStep.Aborted aborted:
                return new Failed(Site, task.Round, "secagg-aborted", $"{aborted.Rejection.Error}: the site left the session.");
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();
}
