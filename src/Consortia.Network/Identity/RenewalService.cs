using System.Security.Cryptography.X509Certificates;
using Consortia.Federation;
using Consortia.Network.Protos;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Identity;

/// <summary>
/// The sites endpoint's renewal service: a site authenticated by its current certificate (mutual TLS, then the
/// per-call check of <see cref="SiteIdentityInterceptor"/>) trades a CSR for a new key for a new certificate
/// (<see cref="CoordinatorIdentity.Renew"/>). Refusals are logged and answered with the status they carry.
/// </summary>
internal sealed partial class RenewalService(CoordinatorIdentity identity, ILogger<RenewalService> logger) : CertificateRenewal.CertificateRenewalBase
{
    /// <inheritdoc />
    public override Task<RenewReply> Renew(RenewRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        SiteId site = context.GetSiteIdentity();
        X509Certificate2 current = context.GetHttpContext().Connection.ClientCertificate
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "a client certificate is required"));
        try
        {
            (X509Certificate2 renewed, string? previousKey, string? rosterKey) = identity.Renew(site, current, request.CsrPem, request.RosterPublicKey, request.RosterKeySignature);
            using X509Certificate2 issued = renewed;
            DateTime notAfter = issued.NotAfter.ToUniversalTime();
            LogRenewed(logger, site.Value, current.SerialNumber, issued.SerialNumber, notAfter);
            if (previousKey is not null && rosterKey != previousKey)
            {
                // Legitimate only if the site meant it: its roster entry must change too, and every node must accept that.
                LogRosterKeyChanged(logger, site.Value, RosterKeyBinding.Read(previousKey)?.Fingerprint ?? "?", RosterKeyBinding.Read(rosterKey)?.Fingerprint ?? "?");
            }

            return Task.FromResult(new RenewReply
            {
                CertificatePem = issued.ExportCertificatePem(),
                CaCertificatePem = identity.Ca.ExportCertificatePem(),
            });
        }
        catch (EnrollmentRefusedException e)
        {
            LogRefused(logger, site.Value, context.Peer, e.Message);
            throw new RpcException(new Status(e.Status, e.Message));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "renewed site {Site}: certificate {Old} -> {New}, valid until {NotAfter:O}")]
    private static partial void LogRenewed(ILogger logger, string site, string old, string @new, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site} changed its roster key at renewal: {Old} -> {New}; its roster entry must be re-signed and accepted by every node")]
    private static partial void LogRosterKeyChanged(ILogger logger, string site, string old, string @new);

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused renewal for site {Site} from {Peer}: {Problem}")]
    private static partial void LogRefused(ILogger logger, string site, string peer, string problem);
}
