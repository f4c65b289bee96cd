using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Consortia.SecureAggregation.Crypto;

/// <summary>
/// X25519 key agreement (RFC 7748) with libsodium's <c>crypto_scalarmult</c>, the implementation under
/// NSec.Cryptography, whose package ships the native library for each runtime. Private keys are 32 random
/// bytes from the injected <see cref="ISecureRandom"/> (libsodium clamps them on every use, so the raw bytes
/// are what is Shamir-shared); public keys are 32-byte u-coordinates.
/// </summary>
/// <remarks>
/// The agreement is called directly rather than through NSec's <c>KeyAgreementAlgorithm.Agree</c>: that
/// places every shared secret in freshly <c>sodium_malloc</c>ed guarded pages (several system calls), which
/// measured as costly as the scalar multiplication itself on this machine, and a site performs about 2n of
/// them per round. Here the 32-byte secret lands in a caller's stack buffer that the caller erases.
/// An agreement with a point of small order yields the all-zero secret; libsodium then reports failure and
/// <see cref="TryAgree"/> returns <see langword="false"/> (RFC 7748 §6.1), so such keys are refused.
/// </remarks>
internal static class X25519
{
    internal const int PublicKeyLength = 32;
    internal const int PrivateKeyLength = 32;
    internal const int SharedSecretLength = 32;

    private static readonly bool Initialised = Initialise();

    // A fixed private key used to test peer keys for small order: k·P is the identity for every clamped k
    // exactly when P has small order, so one multiplication decides it.
    private static ReadOnlySpan<byte> ProbeScalar =>
    [
        0x5A, 0x17, 0x3C, 0x9E, 0x21, 0x84, 0x6B, 0xD3, 0x0F, 0x72, 0xA5, 0x48, 0xE9, 0x36, 0xC1, 0x5D,
        0x93, 0x2E, 0x7B, 0x04, 0xF6, 0x58, 0xAD, 0x11, 0xC7, 0x62, 0x3F, 0x8A, 0xD5, 0x19, 0xB4, 0x4C,
    ];

    /// <summary>Allocates a pinned buffer for a private key (pinned so the GC never leaves copies behind).</summary>
    internal static byte[] AllocatePrivateKey() => GC.AllocateArray<byte>(PrivateKeyLength, pinned: true);

    /// <summary>Creates a fresh private key from the injected randomness, in a pinned buffer.</summary>
    internal static byte[] GeneratePrivateKey(ISecureRandom random)
    {
        byte[] privateKey = AllocatePrivateKey();
        random.Fill(privateKey);
        return privateKey;
    }

    /// <summary>The public key X25519(k, 9) of <paramref name="privateKey"/>.</summary>
    internal static byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        EnsureInitialised();
        if (privateKey.Length != PrivateKeyLength)
        {
            throw new ArgumentException($"X25519 private keys are {PrivateKeyLength} bytes.", nameof(privateKey));
        }

        byte[] publicKey = new byte[PublicKeyLength];
        if (NativeMethods.crypto_scalarmult_base(ref MemoryMarshal.GetArrayDataReference(publicKey), ref MemoryMarshal.GetReference(privateKey)) != 0)
        {
            throw new CryptographicException("libsodium could not compute an X25519 public key.");
        }

        return publicKey;
    }

    /// <summary>
    /// Raw X25519 agreement into <paramref name="sharedSecret"/>; <see langword="false"/> (and the output cleared)
    /// when a length is wrong or the peer key has small order. The secret must go through HKDF before use.
    /// </summary>
    internal static bool TryAgree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        EnsureInitialised();
        if (privateKey.Length != PrivateKeyLength || peerPublicKey.Length != PublicKeyLength || sharedSecret.Length < SharedSecretLength)
        {
            return false;
        }

        int status = NativeMethods.crypto_scalarmult(
            ref MemoryMarshal.GetReference(sharedSecret),
            ref MemoryMarshal.GetReference(privateKey),
            ref MemoryMarshal.GetReference(peerPublicKey));
        if (status != 0)
        {
            sharedSecret[..SharedSecretLength].Clear();
            return false;
        }

        return true;
    }

    /// <summary>True when <paramref name="publicKey"/> is 32 bytes and not a point of small order (costs one multiplication).</summary>
    internal static bool IsValidPublicKey(ReadOnlySpan<byte> publicKey)
    {
        Span<byte> probe = stackalloc byte[SharedSecretLength];
        bool valid = TryAgree(ProbeScalar, publicKey, probe);
        probe.Clear();
        return valid;
    }

    private static void EnsureInitialised()
    {
        if (!Initialised)
        {
            throw new CryptographicException("libsodium failed to initialise.");
        }
    }

    private static bool Initialise()
    {
        // NSec initialises libsodium too; sodium_init is idempotent and thread-safe (1 = already done).
        return NativeMethods.sodium_init() >= 0;
    }

    private static class NativeMethods
    {
        private const string Library = "libsodium";

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        internal static extern int sodium_init();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        internal static extern int crypto_scalarmult(ref byte q, ref byte n, ref byte p);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        internal static extern int crypto_scalarmult_base(ref byte q, ref byte n);
    }
}
