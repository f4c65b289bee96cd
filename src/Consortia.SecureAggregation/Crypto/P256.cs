using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Consortia.SecureAggregation.Crypto;

/// <summary>
/// NIST P-256 helpers over the platform's <see cref="ECDiffieHellman"/> and <see cref="ECDsa"/>:
/// key pairs drawn from an injected <see cref="ISecureRandom"/>, SEC1 uncompressed public keys,
/// raw scalars (for Shamir sharing of s_u^SK) and validated imports of untrusted points.
/// </summary>
internal static class P256
{
    internal const int PublicKeyLength = 65;
    internal const int ScalarLength = 32;
    internal const int CoordinateLength = 32;

    // Order n of the P-256 base point, big-endian.
    private static ReadOnlySpan<byte> Order =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ];

    /// <summary>True when the big-endian scalar is in [1, n).</summary>
    internal static bool IsValidScalar(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != ScalarLength || scalar.IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }

        return scalar.SequenceCompareTo(Order) < 0;
    }

    /// <summary>Draws a uniform scalar in [1, n) by rejection.</summary>
    internal static void DrawScalar(ISecureRandom random, Span<byte> scalar)
    {
        do
        {
            random.Fill(scalar[..ScalarLength]);
        }
        while (!IsValidScalar(scalar[..ScalarLength]));
    }

    /// <summary>Creates a fresh key-agreement key pair from the injected randomness.</summary>
    internal static ECDiffieHellman GenerateKeyAgreementKey(ISecureRandom random)
    {
        byte[] scalar = new byte[ScalarLength];
        try
        {
            DrawScalar(random, scalar);
            return ECDiffieHellman.Create(PrivateParameters(scalar));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <summary>Creates a fresh ECDSA signing key from the injected randomness.</summary>
    internal static ECDsa GenerateSigningKey(ISecureRandom random)
    {
        byte[] scalar = new byte[ScalarLength];
        try
        {
            DrawScalar(random, scalar);
            return ECDsa.Create(PrivateParameters(scalar));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <summary>Imports a private scalar alone; the platform computes the public point.</summary>
    internal static bool TryImportScalar(ReadOnlySpan<byte> scalar, [NotNullWhen(true)] out ECDiffieHellman? key)
    {
        key = null;
        if (!IsValidScalar(scalar))
        {
            return false;
        }

        byte[] copy = scalar.ToArray();
        try
        {
            key = ECDiffieHellman.Create(PrivateParameters(copy));
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    /// <summary>Writes the big-endian private scalar of <paramref name="key"/>.</summary>
    internal static void ExportScalar(ECDiffieHellman key, Span<byte> scalar)
    {
        ECParameters parameters = key.ExportParameters(includePrivateParameters: true);
        try
        {
            // ExportParameters returns D with the curve's full byte length.
            parameters.D.AsSpan().CopyTo(scalar);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    /// <summary>The SEC1 uncompressed encoding 0x04 ‖ X ‖ Y of the public point of <paramref name="key"/>.</summary>
    internal static byte[] ExportPublicKey(ECAlgorithm key)
    {
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        byte[] encoded = new byte[PublicKeyLength];
        encoded[0] = 0x04;
        parameters.Q.X.AsSpan().CopyTo(encoded.AsSpan(1, CoordinateLength));
        parameters.Q.Y.AsSpan().CopyTo(encoded.AsSpan(1 + CoordinateLength, CoordinateLength));
        return encoded;
    }

    /// <summary>Parses an SEC1 uncompressed point; the platform rejects points not on the curve.</summary>
    internal static bool TryImportPublicKey(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out ECDiffieHellman? key)
    {
        key = null;
        if (!TryPublicParameters(encoded, out ECParameters parameters))
        {
            return false;
        }

        try
        {
            key = ECDiffieHellman.Create(parameters);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Parses an SEC1 uncompressed point into an ECDSA verification key.</summary>
    internal static bool TryImportVerificationKey(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out ECDsa? key)
    {
        key = null;
        if (!TryPublicParameters(encoded, out ECParameters parameters))
        {
            return false;
        }

        try
        {
            key = ECDsa.Create(parameters);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Raw ECDH: the 32-byte x-coordinate of the shared point.</summary>
    internal static void Agree(ECDiffieHellman mine, ECDiffieHellmanPublicKey peer, Span<byte> secret)
    {
        byte[] raw = mine.DeriveRawSecretAgreement(peer);
        try
        {
            raw.AsSpan().CopyTo(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    private static bool TryPublicParameters(ReadOnlySpan<byte> encoded, out ECParameters parameters)
    {
        parameters = default;
        if (encoded.Length != PublicKeyLength || encoded[0] != 0x04)
        {
            return false;
        }

        parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = encoded.Slice(1, CoordinateLength).ToArray(),
                Y = encoded.Slice(1 + CoordinateLength, CoordinateLength).ToArray(),
            },
        };
        return true;
    }

    private static ECParameters PrivateParameters(byte[] scalar) => new()
    {
        Curve = ECCurve.NamedCurves.nistP256,
        D = scalar,
    };
}
