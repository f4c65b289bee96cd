using System.Security.Cryptography.X509Certificates;
using Consortia.Network.Protos;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Identity;

/// <summary>
/// The enrollment endpoint's gRPC service: serves the CA certificate, and trades a one-time token and a CSR
/// for a site certificate (<see cref="CoordinatorIdentity.Enroll"/>). Every refusal is logged and answered
/// with PermissionDenied (token, site) or InvalidArgument (malformed token or CSR, wrong key type).
/// </summary>
internal sealed partial class EnrollmentService(CoordinatorIdentity identity, ILogger<EnrollmentService> logger) : Enrollment.EnrollmentBase
{
    /// <inheritdoc />
    public override Task<CaCertificateReply> GetCaCertificate(CaCertificateRequest request, ServerCallContext context) =>
        Task.FromResult(new CaCertificateReply { CaCertificatePem = identity.Ca.ExportCertificatePem() });

    /// <inheritdoc />
    public override Task<EnrollReply> Enroll(EnrollRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            using X509Certificate2 issued = identity.Enroll(request.Token, request.CsrPem, request.RosterPublicKey, request.RosterKeySignature);
            string site = issued.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            DateTime notAfter = issued.NotAfter.ToUniversalTime();
            LogEnrolled(logger, site, issued.SerialNumber, notAfter, context.Peer, RosterKeyBinding.Read(request.RosterPublicKey)?.Fingerprint ?? "none sent");

            return Task.FromResult(new EnrollReply
            {
                CertificatePem = issued.ExportCertificatePem(),
                CaCertificatePem = identity.Ca.ExportCertificatePem(),
            });
        }
        catch (EnrollmentRefusedException e)
        {
            LogRefused(logger, e.Site ?? "?", context.Peer, e.Message);
            throw new RpcException(new Status(e.Status, e.Message));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "enrolled site {Site}: certificate {Serial}, valid until {NotAfter:O} (peer {Peer}); roster key {RosterKey}")]
    private static partial void LogEnrolled(ILogger logger, string site, string serial, DateTime notAfter, string peer, string rosterKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused enrollment for site {Site} from {Peer}: {Problem}")]
    private static partial void LogRefused(ILogger logger, string site, string peer, string problem);
}
