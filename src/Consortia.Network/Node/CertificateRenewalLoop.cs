using Consortia.Network.Identity;
using Consortia.Network.Protos;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Node;

/// <summary>
/// Renews the node's certificate when two thirds of its lifetime have passed (<see cref="NodeRenewal"/>), then
/// reopens the node's work stream with the new certificate. A failed renewal is retried every
/// <see cref="RetryInterval"/> while the old certificate is still valid.
/// </summary>
/// <param name="identity">The node's connection settings (reloaded after a renewal).</param>
/// <param name="folder">The identity folder.</param>
/// <param name="node">The node whose stream moves to the new certificate.</param>
/// <param name="time">The clock.</param>
/// <param name="log">The node's log.</param>
public sealed partial class CertificateRenewalLoop(NodeIdentity identity, string folder, SiteNode node, TimeProvider time, ILogger log)
{
    /// <summary>How long the loop waits after a failed renewal, and at most between checks.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromHours(1);

    /// <summary>The site's roster key (its ledger key), sent with each renewal so the coordinator's record matches it; none when <see langword="null"/>.</summary>
    public Consortia.Governance.Audit.ILedgerSigner? RosterKey { get; init; }

    /// <summary>Renews the certificate if it is due.</summary>
    /// <param name="cancellationToken">Cancels the renewal call.</param>
    /// <returns>The renewal, or null when none was due.</returns>
    /// <exception cref="IdentityException">The renewal was due and failed.</exception>
    public async Task<RenewalResult?> RenewIfDueAsync(CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() < NodeRenewal.DueAt(identity.Credentials.Certificate))
        {
            return null;
        }

        RenewalResult result = await NodeRenewal.RenewAsync(identity.Channel, folder, identity.Credentials, time, cancellationToken, RosterKey).ConfigureAwait(false);
        node.Reconnect(new SiteGateway.SiteGatewayClient(identity.Reload()));
        LogRenewed(identity.Credentials.Site, result.OldSerial, result.Serial, result.NotAfter);
        return result;
    }

    /// <summary>Checks and renews until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                await RenewIfDueAsync(cancellationToken).ConfigureAwait(false);
                TimeSpan untilDue = NodeRenewal.DueAt(identity.Credentials.Certificate) - time.GetUtcNow();
                wait = untilDue < RetryInterval ? untilDue : RetryInterval;
            }
            catch (IdentityException e)
            {
                LogFailed(identity.Credentials.Site, e.Message, identity.Credentials.Certificate.NotAfter.ToUniversalTime());
                wait = RetryInterval;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: certificate renewed with a new key: {Old} -> {New}, valid until {NotAfter:yyyy-MM-dd HH:mm}Z")]
    private partial void LogRenewed(string site, string old, string @new, DateTimeOffset notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: certificate renewal failed: {Reason}; retrying in an hour (the current certificate expires {NotAfter:yyyy-MM-dd HH:mm}Z)")]
    private partial void LogFailed(string site, string reason, DateTime notAfter);
}
