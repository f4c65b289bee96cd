using Consortia.Federation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>
/// Closes the open work stream of any site whose certificate was revoked (by <c>consortia site revoke</c>,
/// possibly from another process). New calls are refused per call by the identity check; this ends the one
/// long-lived call a node holds open, so a revocation takes effect within seconds.
/// </summary>
internal sealed partial class RevocationWatch(CoordinatorServices services, TimeProvider time, ILogger<RevocationWatch> log) : BackgroundService
{
    /// <summary>How often the revocation list is compared with the open streams.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using PeriodicTimer timer = new(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                HashSet<SiteId> active = [.. services.Identity.ActiveSites()];
                foreach (SiteId site in services.Transport.Connected.Where(s => !active.Contains(s)))
                {
                    if (services.Transport.Disconnect(site))
                    {
                        LogClosed(site.Value);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site} is revoked or no longer enrolled: closed its work stream")]
    private partial void LogClosed(string site);
}
