using Consortia.Governance.Audit;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;
using Consortia.Network.Configuration;
using Consortia.Network.Protos;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Node;

/// <summary>What one fetch of the coordinator's roster came to.</summary>
public enum RosterFetchOutcome
{
    /// <summary>The coordinator publishes no roster.</summary>
    NonePublished,

    /// <summary>The served roster is the one the node accepted.</summary>
    Unchanged,

    /// <summary>Accepted automatically (policy <c>roster.accept: automatic</c>, additions only); ledgered.</summary>
    Accepted,

    /// <summary>Stored as <c>roster.proposed.json</c>, waiting for <c>consortia roster accept</c>.</summary>
    Pending,

    /// <summary>The served roster does not verify (a join signature, its hash, its format): rejected, logged, not stored.</summary>
    Rejected,

    /// <summary>The coordinator could not be asked (connection, refusal); tried again after a backoff.</summary>
    Unreachable,
}

/// <summary>
/// Fetches the roster the coordinator proposes (<c>RosterDistribution.GetRoster</c> on the sites endpoint, mutual TLS)
/// when the node connects and every <see cref="Interval"/>, and hands it to the node's <see cref="RosterStore"/> under
/// the node's policy: accepted automatically only when <c>roster.accept: automatic</c> and the proposal only adds
/// members of the same consortium; otherwise kept pending for the operator, with a log line saying so.
/// </summary>
/// <remarks>
/// The coordinator is not trusted with the roster: the served text is parsed and every join signature verified here
/// (<see cref="ConsortiumRoster.Parse"/>), and the hash the coordinator states must be the one the node computes. A
/// roster that fails is rejected and logged, and never written to the state folder. A failed call is retried with a
/// jittered exponential backoff bounded by <see cref="Interval"/>, so a coordinator that is down is not hammered.
/// A node in several consortia fetches and accepts each consortium's roster separately (the request names the
/// consortium; the served roster must be that consortium's), into each consortium's own store, under its own policy.
/// </remarks>
public sealed partial class RosterFetchLoop : IDisposable
{
    /// <summary>How long the node waits between fetches after a successful one (and at most after a failed one).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    private readonly Func<CallInvoker> _channel;
    private readonly NodeConfig _config;
    private readonly Func<AuditLedger> _ledger;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ReconnectBackoff _backoff;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Dictionary<string, string> _lastPending = new(StringComparer.Ordinal); // per store: the proposal already logged

    /// <summary>Creates the loop.</summary>
    /// <param name="channel">The node's current connection to the coordinator's sites endpoint (it changes after a certificate renewal).</param>
    /// <param name="config">The node's configuration (its state folder and policy file).</param>
    /// <param name="ledger">The node's one audit ledger (opened on first use).</param>
    /// <param name="time">The clock.</param>
    /// <param name="log">The node's log.</param>
    /// <param name="random">The backoff's jitter.</param>
    public RosterFetchLoop(Func<CallInvoker> channel, NodeConfig config, Func<AuditLedger> ledger, TimeProvider time, ILogger log, Random random)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ledger);
        _channel = channel;
        _config = config;
        _ledger = ledger;
        _time = time;
        _log = log;
        _backoff = new ReconnectBackoff(TimeSpan.FromSeconds(5), Interval, random);
    }

    /// <summary>The roster files of the node's only (or first) consortium.</summary>
    public RosterStore Store => new(_config.Memberships()[0].StateFolder);

    /// <summary>The roster files of one consortium the node serves.</summary>
    /// <param name="consortium">The consortium.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException">The node does not serve that consortium.</exception>
    public RosterStore StoreOf(string consortium) => new(Find(consortium).StateFolder);

    private NodeMembership Find(string consortium) =>
        _config.Memberships().FirstOrDefault(m => string.Equals(m.Consortium, consortium, StringComparison.Ordinal))
            ?? throw new ArgumentException($"the node does not serve consortium '{consortium}'", nameof(consortium));

    /// <summary>Asks for a fetch now (the node connected); the running loop wakes up, at most one request is queued.</summary>
    public void FetchSoon()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A fetch is already due.
        }
    }

    /// <summary>Fetches the roster of the node's only (or first) consortium once and offers it to its store.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What happened.</returns>
    public Task<RosterFetchOutcome> FetchOnceAsync(CancellationToken cancellationToken) => FetchOnceAsync(_config.Memberships()[0], cancellationToken);

    /// <summary>Fetches one consortium's roster once and offers it to that consortium's store.</summary>
    /// <param name="consortium">The consortium (one of the node's <c>consortia:</c>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="ArgumentException">The node does not serve that consortium.</exception>
    public Task<RosterFetchOutcome> FetchOnceAsync(string consortium, CancellationToken cancellationToken) => FetchOnceAsync(Find(consortium), cancellationToken);

    /// <summary>Fetches every consortium's roster once, one after another.</summary>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>What happened, per consortium (the empty name for a node without <c>consortia:</c>).</returns>
    public async Task<IReadOnlyDictionary<string, RosterFetchOutcome>> FetchAllAsync(CancellationToken cancellationToken)
    {
        Dictionary<string, RosterFetchOutcome> outcomes = new(StringComparer.Ordinal);
        foreach (NodeMembership membership in _config.Memberships())
        {
            outcomes[membership.Consortium ?? string.Empty] = await FetchOnceAsync(membership, cancellationToken).ConfigureAwait(false);
        }

        return outcomes;
    }

    /// <summary>Fetches one membership's roster once and offers it to its store.</summary>
    /// <param name="membership">One of the node's memberships (<see cref="NodeConfig.Memberships"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What happened.</returns>
    public async Task<RosterFetchOutcome> FetchOnceAsync(NodeMembership membership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(membership);
        RosterStore store = new(membership.StateFolder);
        RosterReply reply;
        try
        {
            string known = File.Exists(store.AcceptedPath) ? store.Accepted()?.Sha256 ?? string.Empty : string.Empty;
            reply = await new RosterDistribution.RosterDistributionClient(_channel())
                .GetRosterAsync(new GetRosterRequest { KnownSha256 = known, Consortium = membership.Consortium ?? string.Empty }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(_config.Site, e.StatusCode.ToString(), e.Status.Detail);
            return RosterFetchOutcome.Unreachable;
        }
        catch (RosterException e)
        {
            // The node's own accepted roster no longer verifies: nothing from the coordinator can repair that.
            LogRejected(_config.Site, $"the accepted roster {store.AcceptedPath} does not verify: {e.Message}");
            return RosterFetchOutcome.Rejected;
        }

        if (reply.RosterJson.Length == 0)
        {
            return RosterFetchOutcome.NonePublished;
        }

        ConsortiumRoster proposed;
        try
        {
            if (reply.RosterJson.Length > ConsortiumRoster.MaxFileBytes)
            {
                throw new RosterException($"{reply.RosterJson.Length} characters; a roster is at most {ConsortiumRoster.MaxFileBytes}");
            }

            proposed = ConsortiumRoster.Parse(reply.RosterJson, "the coordinator's roster");
            if (!string.Equals(reply.Sha256, proposed.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new RosterException($"the coordinator states sha256 {reply.Sha256}, but the roster it sent hashes to {proposed.Sha256}");
            }

            if (membership.Consortium is { } asked && !string.Equals(proposed.Consortium, asked, StringComparison.Ordinal))
            {
                // One consortium's roster must never become another's trust anchor.
                throw new RosterException($"asked for the roster of '{asked}', the coordinator served the roster of '{proposed.Consortium}'");
            }
        }
        catch (RosterException e)
        {
            LogRejected(_config.Site, e.Message);
            return RosterFetchOutcome.Rejected;
        }

        try
        {
            RosterAcceptance acceptance = membership.Policy is { } policy ? SitePolicyLoader.Load(policy).RosterAcceptance : RosterAcceptance.Manual;
            RosterChanges changes = proposed.Compare(store.Accepted());
            RosterDecision decision = store.Offer(proposed, acceptance, _ledger());
            switch (decision)
            {
                case RosterDecision.Accepted:
                    _lastPending.Remove(store.AcceptedPath);
                    LogAccepted(_config.Site, proposed.Consortium, proposed.Sha256, changes);
                    return RosterFetchOutcome.Accepted;
                case RosterDecision.Unchanged:
                    return RosterFetchOutcome.Unchanged;
                default:
                    if (_lastPending.GetValueOrDefault(store.AcceptedPath) != proposed.Sha256)
                    {
                        // Said once per proposal, not at every fetch.
                        _lastPending[store.AcceptedPath] = proposed.Sha256;
                        string why = acceptance == RosterAcceptance.Automatic ? "it does not only add members of the same consortium" : "the policy's roster.accept is manual";
                        LogPending(_config.Site, proposed.Sha256, changes, why, store.ProposedPath);
                    }

                    return RosterFetchOutcome.Pending;
            }
        }
        catch (Exception e) when (e is RosterException or PolicyFileException or IOException or UnauthorizedAccessException)
        {
            LogRejected(_config.Site, $"could not offer the roster to the node's store: {e.Message}");
            return RosterFetchOutcome.Rejected;
        }
    }

    /// <summary>Fetches at start, when <see cref="FetchSoon"/> is called, and every <see cref="Interval"/>, until cancelled.</summary>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>The loop.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                IReadOnlyDictionary<string, RosterFetchOutcome> outcomes = await FetchAllAsync(cancellationToken).ConfigureAwait(false);
                if (outcomes.Values.Contains(RosterFetchOutcome.Unreachable))
                {
                    wait = _backoff.Next();
                }
                else
                {
                    _backoff.Reset();
                    wait = Interval;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            // Wait for the interval (or the backoff), or until FetchSoon wakes the loop (the node connected).
            using CancellationTokenSource timer = new(wait, _time);
            using CancellationTokenSource either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            try
            {
                await _wake.WaitAsync(either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The wait is over: fetch again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _wake.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: accepted the roster of '{Consortium}' served by the coordinator automatically (policy roster.accept: automatic), sha256 {Sha256}: {Changes}")]
    private partial void LogAccepted(string site, string consortium, string sha256, RosterChanges changes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: the coordinator proposes roster {Sha256} ({Changes}); not accepted automatically because {Why}. It is kept in {Path}: check the hash out of band, then run 'consortia roster accept --config <site.yaml> --sha256 <hash>'")]
    private partial void LogPending(string site, string sha256, RosterChanges changes, string why, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: rejected the roster served by the coordinator: {Problem}; nothing stored, the accepted roster is unchanged")]
    private partial void LogRejected(string site, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: could not fetch the roster from the coordinator ({Status}: {Detail}); retrying after a backoff")]
    private partial void LogUnreachable(string site, string status, string detail);
}
