using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Consortia.SecureAggregation.Crypto;

/// <summary>A validated P-256 peer public key, imported once and kept ready for repeated agreements (the protocol uses X25519; kept for comparison benchmarks and the platform-only fallback).</summary>
internal sealed class P256PublicKey : IDisposable
{
    private readonly ECDiffieHellman _key;

    private P256PublicKey(ECDiffieHellman key, byte[] encoded)
    {
        _key = key;
        Encoded = encoded;
        Agreement = key.PublicKey;
    }

    /// <summary>The SEC1 uncompressed encoding.</summary>
    public byte[] Encoded { get; }

    /// <summary>The platform public key used for agreements.</summary>
    public ECDiffieHellmanPublicKey Agreement { get; }

    /// <summary>Parses and validates an untrusted point.</summary>
    public static bool TryImport(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out P256PublicKey? key)
    {
        key = null;
        if (!P256.TryImportPublicKey(encoded, out ECDiffieHellman? imported))
        {
            return false;
        }

        key = new P256PublicKey(imported, encoded.ToArray());
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Agreement.Dispose();
        _key.Dispose();
    }
}
