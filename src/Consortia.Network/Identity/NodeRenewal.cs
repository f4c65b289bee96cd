using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Network.Protos;
using Grpc.Core;
using Grpc.Net.Client;

namespace Consortia.Network.Identity;

/// <summary>The outcome of a renewal.</summary>
/// <param name="OldSerial">The serial of the certificate the node renewed with.</param>
/// <param name="Serial">The new certificate's serial.</param>
/// <param name="NotAfter">The new certificate's end of validity.</param>
public sealed record RenewalResult(string OldSerial, string Serial, DateTimeOffset NotAfter);

/// <summary>
/// A node's automatic certificate renewal: once two thirds of its certificate's lifetime have passed, the node
/// makes a new P-256 key, sends a CSR over mutual TLS with its current certificate (no token: the current
/// certificate is the proof), checks the certificate it gets (consortium CA, ClientAuth, its site, its new key)
/// and replaces the key and certificate in its identity folder (crash-safe). The old key is gone from the disk;
/// the old certificate stays valid at the coordinator until its own expiry unless revoked by serial.
/// </summary>
public static class NodeRenewal
{
    /// <summary>The part of a certificate's lifetime after which it is renewed.</summary>
    public const double RenewAfter = 2.0 / 3.0;

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>When <paramref name="certificate"/> is due for renewal.</summary>
    public static DateTimeOffset DueAt(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        DateTimeOffset notBefore = certificate.NotBefore.ToUniversalTime();
        DateTimeOffset notAfter = certificate.NotAfter.ToUniversalTime();
        return notBefore + ((notAfter - notBefore) * RenewAfter);
    }

    /// <summary>Renews the site's certificate over <paramref name="channel"/> (the sites endpoint, authenticated with <paramref name="current"/>).</summary>
    /// <param name="channel">A channel to the coordinator's sites endpoint carrying <paramref name="current"/>'s certificate.</param>
    /// <param name="folder">The site's identity folder (its key and certificate are replaced).</param>
    /// <param name="current">The credentials in use.</param>
    /// <param name="time">The clock the returned certificate is checked at.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <param name="rosterKey">The site's roster key, sent with its proof so the coordinator's record stays current; <see langword="null"/> to keep the recorded one.</param>
    /// <returns>The old and new serials and the new expiry.</returns>
    /// <exception cref="IdentityException">The coordinator refused, or returned a certificate that is not the one asked for.</exception>
    public static async Task<RenewalResult> RenewAsync(GrpcChannel channel, string folder, SiteCredentials current, TimeProvider time, CancellationToken cancellationToken, Consortia.Governance.Audit.ILedgerSigner? rosterKey = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(time);
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string csr = NodeEnrollment.CreateSigningRequest(current.Site, key);
        RenewRequest request = new() { CsrPem = csr };
        if (rosterKey is not null)
        {
            (request.RosterPublicKey, request.RosterKeySignature) = RosterKeyBinding.Sign(current.Site, rosterKey, csr);
        }

        RenewReply reply;
        try
        {
            using CancellationTokenSource limit = new(CallTimeout, time);
            using CancellationTokenSource both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
            reply = await new CertificateRenewal.CertificateRenewalClient(channel)
                .RenewAsync(request, cancellationToken: both.Token)
                .ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw new IdentityException($"the coordinator refused to renew the certificate of site '{current.Site}': {e.Status.StatusCode}: {e.Status.Detail}", e);
        }

        X509Certificate2 issued;
        try
        {
            issued = X509Certificate2.CreateFromPem(reply.CertificatePem);
        }
        catch (CryptographicException e)
        {
            throw new IdentityException($"the coordinator returned a malformed certificate: {e.Message}", e);
        }

        using (issued)
        {
            if (!ConsortiumPki.ChainsTo(issued, current.Ca, time.GetUtcNow(), ConsortiumPki.ClientAuthOid, out string problem))
            {
                throw new IdentityException($"the coordinator returned a certificate that is not a valid client certificate of the pinned CA: {problem}");
            }

            if (!string.Equals(ConsortiumPki.SoleCommonName(issued.SubjectName), current.Site, StringComparison.Ordinal)
                || !issued.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new IdentityException("the coordinator returned a certificate for another name or key than requested");
            }

            IdentityFiles.ReplaceSiteIdentity(folder, key.ExportPkcs8PrivateKeyPem() + "\n", issued.ExportCertificatePem() + "\n");
            return new RenewalResult(current.Certificate.SerialNumber, issued.SerialNumber, issued.NotAfter.ToUniversalTime());
        }
    }
}
