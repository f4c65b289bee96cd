using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.Governance.Roster;
using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Signing;

namespace Consortia.Federation.Fairness;

/// <summary>
/// The coordinator's side of a count collection over any site transport — a fairness audit (<see cref="FairnessAuditTask"/>)
/// or the counting of group reweighting (<see cref="ReweightingCountTask"/>): sends each site its task and sums the count
/// vectors — plain vectors as they arrive, or, when the tasks name a secure-aggregation session, by running that session
/// (SecAgg+, malicious-server mode) so that only the sum is ever seen.
/// </summary>
public static class FairnessCountCollector
{
    /// <summary>Collects and sums the sites' counts.</summary>
    /// <param name="transport">The way to the sites.</param>
    /// <param name="tasks">One task per site, all of one round; each names <paramref name="session"/> (with its participant index), or none does.</param>
    /// <param name="session">The secure-aggregation session the tasks name, or <see langword="null"/> for plain counts.</param>
    /// <param name="length">The length of the count vector.</param>
    /// <param name="roster">The consortium roster the session's signatures are checked against (dropped early when they do not verify), or <see langword="null"/>.</param>
    /// <param name="deadline">How long the sites have to compute their counts.</param>
    /// <param name="stageTimeout">How long each secure-aggregation stage waits.</param>
    /// <param name="cancellationToken">Cancels the collection.</param>
    /// <returns>The sum (or why not), and who contributed, refused or failed.</returns>
    /// <exception cref="ArgumentException">No task.</exception>
    public static async Task<CollectedCounts> CollectAsync(
        ISiteTransport transport, IReadOnlyList<SiteTask> tasks, SecAggSessionOptions? session, int length, ConsortiumRoster? roster, TimeSpan? deadline, TimeSpan? stageTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0)
        {
            throw new ArgumentException("A count collection needs at least one task.", nameof(tasks));
        }

        List<Refused> refusals = [];
        List<SiteReply> failures = [];
        Dictionary<SiteId, long[]> plain = [];
        await foreach (SiteReply reply in transport.DispatchAsync([.. tasks], deadline, cancellationToken).ConfigureAwait(false))
        {
            switch (reply)
            {
                case FairnessCountsReleased released when session is null && IsValid(released, length):
                    plain[released.Site] = [.. released.Counts];
                    break;
                case FairnessCountsReleased released:
                    failures.Add(new Failed(released.Site, released.Round, "invalid-counts", $"Expected {length} counts in [0, 2^32), sent plainly only when the collection does not use secure aggregation."));
                    break;
                case TrainingPrepared when session is not null:
                    break;
                case Refused refused:
                    refusals.Add(refused);
                    break;
                default:
                    failures.Add(reply);
                    break;
            }
        }

        if (session is null)
        {
            // Canonical order of the tasks, so the report does not depend on which site answered first (integers: any order sums the same).
            SiteId[] contributors = [.. tasks.Select(t => t.Site).Where(plain.ContainsKey)];
            if (contributors.Length == 0)
            {
                return new CollectedCounts(null, [], refusals, failures, "No site sent its counts.");
            }

            long[] sum = new long[length];
            foreach (SiteId site in contributors)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(sum, plain[site], sum);
            }

            return new CollectedCounts(sum, contributors, refusals, failures, null);
        }

        // Sites that refused or failed simply never answer the session's first stage: the protocol treats them as dropped.
        SiteId[] participants = [.. session.Participants.Select(p => new SiteId(p))];
        TransportSecAggChannel channel = new(transport, tasks[0].Round, participants, stageTimeout, tasks[0].JobSha256);
        ISignatureVerifier verifier = roster is null ? RelayedSignatures.Instance : new RosterSignatureVerifier(roster, session.Participants);
        SecureAggregationOutcome outcome = await new SecureAggregator(verifier).AggregateAsync(session, channel, cancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            SecureAggregationOutcome.Succeeded { Result: var result } => new CollectedCounts(
                [.. result.Sum.Select(v => (long)v)], [.. result.Contributors.Select(p => participants[p.Value - 1])], refusals, failures, null),
            SecureAggregationOutcome.Failed { Failure: var f } => new CollectedCounts(null, [], refusals, failures, $"Secure aggregation of the counts failed at {f.Stage} ({f.Error}): {f.Detail}"),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    private static bool IsValid(FairnessCountsReleased released, int length) =>
        released.Counts.Length == length && released.Counts.All(c => c is >= 0 and <= uint.MaxValue);
}
