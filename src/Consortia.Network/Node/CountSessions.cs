using System.Collections.Concurrent;
using Consortia.Federation.Fairness;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;

namespace Consortia.Network.Node;

/// <summary>
/// The secure-aggregation sessions in which a site releases a count vector (a fairness audit, the counting of group
/// reweighting), by the coordinator's id of each: each answers its protocol messages, and the site's ledger records the
/// release once its masked input has left (the ledger holds what left the site, not what it meant to send).
/// </summary>
internal sealed class CountSessions(Func<AuditLedger> ledger) : IDisposable
{
    private readonly ConcurrentDictionary<string, SiteCountSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<string, LedgerEvent>> _pendingRecords = new(StringComparer.Ordinal);

    /// <summary>Opens the session of <paramref name="id"/>, replacing one open under it.</summary>
    /// <param name="id">The coordinator's id of the audit or job.</param>
    /// <param name="session">The site's side of the session, holding its counts.</param>
    /// <param name="record">The ledger entry of the release, from the SHA-256 of the masked input that left.</param>
    public void Join(string id, SiteCountSession session, Func<string, LedgerEvent> record)
    {
        _sessions.AddOrUpdate(id, session, (_, old) =>
        {
            old.Dispose(); // a second session under one id replaces the first
            return session;
        });
        _pendingRecords[id] = record;
    }

    /// <summary>Answers a protocol message of the session of <paramref name="id"/>, or <see langword="null"/> when none is open.</summary>
    public SiteReply? Handle(string id, SecAggTask task)
    {
        if (!_sessions.TryGetValue(id, out SiteCountSession? session))
        {
            return null;
        }

        return session.Handle(task, masked =>
        {
            if (_pendingRecords.TryRemove(id, out Func<string, LedgerEvent>? record))
            {
                ledger().Append(record(UpdateHash.Of(masked)));
            }
        });
    }

    /// <summary>Forgets the session of <paramref name="id"/>.</summary>
    public void End(string id)
    {
        _pendingRecords.TryRemove(id, out _);
        if (_sessions.TryRemove(id, out SiteCountSession? session))
        {
            session.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (string id in _sessions.Keys)
        {
            End(id);
        }
    }
}
