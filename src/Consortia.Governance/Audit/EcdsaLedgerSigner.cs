using System.Security.Cryptography;

namespace Consortia.Governance.Audit;

/// <summary>Signs ledger entries with an ECDSA P-256 key held by the platform's <see cref="ECDsa"/>.</summary>
/// <remarks>
/// The private key never leaves the process through this type except by the explicit
/// <see cref="ExportPrivateKeyPem"/>. Key generation uses the operating system's cryptographic random source.
/// Signing is thread-safe.
/// </remarks>
public sealed class EcdsaLedgerSigner : ILedgerSigner, IDisposable
{
    private readonly ECDsa _key;

    private EcdsaLedgerSigner(ECDsa key)
    {
        _key = key;
        PublicKey = LedgerPublicKey.FromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo());
    }

    /// <inheritdoc/>
    public LedgerPublicKey PublicKey { get; }

    /// <summary>
    /// The writer's identity kept in <paramref name="keyFile"/> (PKCS#8 PEM), generated there on first use so that
    /// later runs extend the same chain under the same key; the public key is (re)written to
    /// <paramref name="publicKeyFile"/> as a convenience copy (verifiers pin the key from the roster or enrollment
    /// record, not from this file, which anyone with write access beside the ledger could replace).
    /// </summary>
    /// <remarks>
    /// A new key file is created owner-only (0600) from its first byte: it is opened with that mode and
    /// <see cref="FileMode.CreateNew"/> before anything is written, so there is no moment at which another
    /// user could read it, and a file planted at that path is never overwritten.
    /// </remarks>
    /// <param name="keyFile">The private key file.</param>
    /// <param name="publicKeyFile">The public key file.</param>
    /// <returns>The signer.</returns>
    public static EcdsaLedgerSigner LoadOrCreate(string keyFile, string publicKeyFile)
    {
        ArgumentNullException.ThrowIfNull(keyFile);
        ArgumentNullException.ThrowIfNull(publicKeyFile);
        EcdsaLedgerSigner signer;
        if (File.Exists(keyFile))
        {
            signer = FromPem(File.ReadAllText(keyFile));
        }
        else
        {
            signer = Generate();
            WriteOwnerOnly(keyFile, signer.ExportPrivateKeyPem());
        }

        File.WriteAllText(publicKeyFile, signer.PublicKey.ExportPem());
        return signer;
    }

    /// <summary>Creates <paramref name="path"/> (it must not exist) readable and writable by its owner only, then writes <paramref name="text"/>.</summary>
    /// <param name="path">The new file.</param>
    /// <param name="text">Its contents.</param>
    /// <exception cref="IOException">The file exists.</exception>
    public static void WriteOwnerOnly(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(text);
        FileStreamOptions options = new() { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using FileStream stream = new(path, options);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Generates a new P-256 key.</summary>
    /// <returns>The signer.</returns>
    public static EcdsaLedgerSigner Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a P-256 private key from PEM (<c>PRIVATE KEY</c> or <c>EC PRIVATE KEY</c>).</summary>
    /// <param name="privateKeyPem">The PEM text.</param>
    /// <returns>The signer.</returns>
    /// <exception cref="CryptographicException">The PEM does not hold a P-256 private key.</exception>
    public static EcdsaLedgerSigner FromPem(string privateKeyPem)
    {
        ArgumentNullException.ThrowIfNull(privateKeyPem);
        ECDsa key = ECDsa.Create();
        try
        {
            key.ImportFromPem(privateKeyPem);
            return FromKey(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an existing key; the signer takes ownership and disposes it.</summary>
    /// <param name="key">A P-256 key with its private part.</param>
    /// <returns>The signer.</returns>
    /// <exception cref="CryptographicException">The key is not on P-256.</exception>
    public static EcdsaLedgerSigner FromKey(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        if (!parameters.Curve.IsNamed || parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new CryptographicException("The ledger key must be on NIST P-256.");
        }

        return new EcdsaLedgerSigner(key);
    }

    /// <inheritdoc/>
    public byte[] SignHash(ReadOnlySpan<byte> sha256Digest)
    {
        if (sha256Digest.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("Expected a 32-byte SHA-256 digest.", nameof(sha256Digest));
        }

        return _key.SignHash(sha256Digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Exports the private key as PKCS#8 PEM (<c>PRIVATE KEY</c>), for the site's key store.</summary>
    /// <returns>The PEM text.</returns>
    public string ExportPrivateKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();
}
