using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Consortia.Governance.Audit;

/// <summary>An ECDSA P-256 public key that verifies ledger signatures, held as its DER SubjectPublicKeyInfo.</summary>
/// <remarks>Immutable and thread-safe. Two keys are equal when their SubjectPublicKeyInfo bytes are equal.</remarks>
public sealed class LedgerPublicKey : IEquatable<LedgerPublicKey>
{
    private readonly byte[] _subjectPublicKeyInfo;
    private readonly Lock _gate = new();

    // Imported once, on first use: a P-256 import costs several verifications, and a roster key verifies many
    // signatures per round. The platform key is released by its finalizer with the last reference to this key.
    private readonly Lazy<ECDsa> _verifier;

    private LedgerPublicKey(byte[] subjectPublicKeyInfo)
    {
        _subjectPublicKeyInfo = subjectPublicKeyInfo;
        _verifier = new Lazy<ECDsa>(CreateVerifier, LazyThreadSafetyMode.ExecutionAndPublication);
        Fingerprint = Sha256Hex.Of(subjectPublicKeyInfo);
    }

    /// <summary>The DER SubjectPublicKeyInfo.</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo => _subjectPublicKeyInfo;

    /// <summary>The SHA-256 of the SubjectPublicKeyInfo, lowercase hex: what a person compares out of band.</summary>
    public string Fingerprint { get; }

    /// <summary>Reads a key from DER SubjectPublicKeyInfo.</summary>
    /// <param name="subjectPublicKeyInfo">The DER bytes.</param>
    /// <returns>The key.</returns>
    /// <exception cref="CryptographicException">The bytes are not an EC P-256 public key.</exception>
    public static LedgerPublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        using ECDsa ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out int read);
        if (read != subjectPublicKeyInfo.Length)
        {
            throw new CryptographicException("The public key has trailing bytes.");
        }

        RequireP256(ecdsa);
        // Re-export so the stored form is the platform's canonical DER, whatever encoding was imported.
        return new LedgerPublicKey(ecdsa.ExportSubjectPublicKeyInfo());
    }

    /// <summary>Reads a key from PEM text holding a <c>PUBLIC KEY</c> or a <c>CERTIFICATE</c>.</summary>
    /// <param name="pem">The PEM text.</param>
    /// <returns>The key (for a certificate, its subject's key).</returns>
    /// <exception cref="CryptographicException">No usable PEM block, or the key is not EC P-256.</exception>
    public static LedgerPublicKey FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out PemFields fields))
        {
            throw new CryptographicException("No PEM block found; expected '-----BEGIN PUBLIC KEY-----' or '-----BEGIN CERTIFICATE-----'.");
        }

        string label = pem[fields.Label];
        byte[] der = Convert.FromBase64String(pem[fields.Base64Data]);
        return label switch
        {
            "PUBLIC KEY" => FromSubjectPublicKeyInfo(der),
            "CERTIFICATE" => FromCertificateDer(der),
            _ => throw new CryptographicException($"Unsupported PEM block '{label}'; expected PUBLIC KEY or CERTIFICATE."),
        };
    }

    /// <summary>Reads the subject key of a certificate.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <returns>The key.</returns>
    /// <exception cref="CryptographicException">The certificate's key is not EC P-256.</exception>
    public static LedgerPublicKey FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using ECDsa ecdsa = certificate.GetECDsaPublicKey() ?? throw new CryptographicException("The certificate does not hold an ECDSA public key.");
        RequireP256(ecdsa);
        return new LedgerPublicKey(ecdsa.ExportSubjectPublicKeyInfo());
    }

    /// <summary>Exports the key as PEM (<c>PUBLIC KEY</c>).</summary>
    /// <returns>The PEM text.</returns>
    public string ExportPem() => PemEncoding.WriteString("PUBLIC KEY", _subjectPublicKeyInfo);

    /// <summary>Verifies an IEEE P1363 ECDSA signature over a SHA-256 digest.</summary>
    /// <param name="sha256Digest">The digest.</param>
    /// <param name="signature">The signature.</param>
    /// <returns><see langword="true"/> when the signature is valid for this key.</returns>
    public bool VerifyHash(ReadOnlySpan<byte> sha256Digest, ReadOnlySpan<byte> signature)
    {
        lock (_gate)
        {
            return _verifier.Value.VerifyHash(sha256Digest, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }

    /// <inheritdoc/>
    public bool Equals(LedgerPublicKey? other) =>
        other is not null && _subjectPublicKeyInfo.AsSpan().SequenceEqual(other._subjectPublicKeyInfo);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as LedgerPublicKey);

    /// <inheritdoc/>
    public override int GetHashCode() => Fingerprint.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => "P-256 " + Fingerprint;

    internal ECDsa CreateVerifier()
    {
        ECDsa ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(_subjectPublicKeyInfo, out _);
        return ecdsa;
    }

    private static LedgerPublicKey FromCertificateDer(byte[] der)
    {
        using X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(der);
        return FromCertificate(certificate);
    }

    private static void RequireP256(ECDsa ecdsa)
    {
        ECParameters parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        if (!parameters.Curve.IsNamed || parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new CryptographicException($"The key is on curve '{parameters.Curve.Oid.FriendlyName ?? parameters.Curve.Oid.Value}', not NIST P-256.");
        }
    }
}
