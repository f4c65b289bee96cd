using System.Security.Cryptography;

using BenchmarkDotNet.Attributes;

using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Masking;
using Consortia.SecureAggregation.Sharing;

namespace Consortia.Benchmarks;

/// <summary>
/// The per-site costs of one secure-aggregation round, one primitive at a time, to see where a site's time goes
/// at n = 100 (99 neighbours): per neighbour a site does two key agreements plus HKDF, one AES-GCM share
/// encryption and one decryption, and one mask expansion of D coordinates; once per round it Shamir-splits two
/// 32-byte secrets to n holders. <c>P256ImportAndAgree</c> is what the protocol paid per agreement before it moved
/// to X25519 (the peer point imported and validated by the platform, then ECDH).
/// </summary>
[MemoryDiagnoser]
public class SecAggPrimitivesBenchmark : IDisposable
{
    private const int Holders = 100;
    private const int Threshold = 51;
    private readonly byte[] _session = new byte[32];
    private readonly byte[] _secret = new byte[32];
    private readonly byte[] _plaintext = new byte[112];
    private readonly byte[] _payload = new byte[200];
    private readonly int[] _holders = [.. Enumerable.Range(1, Holders)];
    private ECDiffieHellman _p256 = null!;
    private byte[] _p256Peer = null!;
    private byte[] _x25519 = null!;
    private byte[] _x25519Peer = null!;
    private byte[] _ciphertext = null!;
    private uint[] _vector = null!;
    private AesCtrMaskExpander _expander = null!;
    private DeterministicSecureRandom _random = null!;
    private Consortia.SecureAggregation.Signing.Ed25519Signer _ed25519 = null!;
    private Consortia.SecureAggregation.Signing.Ed25519SignatureVerifier _ed25519Verifier = null!;
    private byte[] _ed25519Signature = null!;
    private Consortia.SecureAggregation.Signing.EcdsaP256Signer _ecdsa = null!;
    private Consortia.SecureAggregation.Signing.EcdsaP256SignatureVerifier _ecdsaVerifier = null!;
    private byte[] _ecdsaSignature = null!;

    /// <summary>The vector length D.</summary>
    [Params(100_000)]
    public int Dimension { get; set; }

    /// <summary>Creates the keys and buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _random = new DeterministicSecureRandom(1);
        _p256 = P256.GenerateKeyAgreementKey(_random);
        using ECDiffieHellman peer = P256.GenerateKeyAgreementKey(_random);
        _p256Peer = P256.ExportPublicKey(peer);
        _x25519 = X25519.GeneratePrivateKey(_random);
        _x25519Peer = X25519.PublicKeyOf(X25519.GeneratePrivateKey(_random));
        _ciphertext = ShareCipher.Encrypt(_secret, _session, 1, 2, _plaintext);
        _vector = new uint[Dimension];
        _expander = new AesCtrMaskExpander();
        Consortia.SecureAggregation.ParticipantIndex signer = new(1);
        _ed25519 = Consortia.SecureAggregation.Signing.Ed25519Signer.Create(_random);
        _ed25519Verifier = new(new Dictionary<Consortia.SecureAggregation.ParticipantIndex, ReadOnlyMemory<byte>> { [signer] = _ed25519.PublicKey });
        _ed25519Signature = _ed25519.Sign(_payload);
        _ecdsa = Consortia.SecureAggregation.Signing.EcdsaP256Signer.Create(_random);
        _ecdsaVerifier = new(new Dictionary<Consortia.SecureAggregation.ParticipantIndex, ReadOnlyMemory<byte>> { [signer] = _ecdsa.PublicKey });
        _ecdsaSignature = _ecdsa.Sign(_payload);
    }

    /// <summary>Releases the keys.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _p256.Dispose();
        _expander.Dispose();
        _random.Dispose();
        _ed25519.Dispose();
        _ecdsa.Dispose();
        _ecdsaVerifier.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Before: one P-256 agreement as the protocol did it (validated import of the peer point, then ECDH).</summary>
    [Benchmark(Baseline = true)]
    public void P256ImportAndAgree()
    {
        Span<byte> secret = stackalloc byte[32];
        P256PublicKey.TryImport(_p256Peer, out P256PublicKey? peer);
        using (peer)
        {
            P256.Agree(_p256, peer!.Agreement, secret);
        }
    }

    /// <summary>After: one X25519 agreement (libsodium).</summary>
    [Benchmark]
    public bool X25519Agree()
    {
        Span<byte> secret = stackalloc byte[32];
        return X25519.TryAgree(_x25519, _x25519Peer, secret);
    }

    /// <summary>One X25519 key pair (random bytes, then the public key).</summary>
    [Benchmark]
    public byte[] X25519KeyPair() => X25519.PublicKeyOf(X25519.GeneratePrivateKey(_random));

    /// <summary>One HKDF-SHA256 pair-key derivation.</summary>
    [Benchmark]
    public void HkdfPairKey()
    {
        Span<byte> key = stackalloc byte[32];
        KeyDerivation.PairwiseMaskKey(_secret, _session, 1, 2, key);
    }

    /// <summary>AES-256-GCM encryption of one share pair (112 bytes).</summary>
    [Benchmark]
    public byte[] ShareEncrypt() => ShareCipher.Encrypt(_secret, _session, 1, 2, _plaintext);

    /// <summary>AES-256-GCM decryption and authentication of one share pair.</summary>
    [Benchmark]
    public bool ShareDecrypt() => ShareCipher.TryDecrypt(_secret, _session, 1, 2, _ciphertext, _plaintext);

    /// <summary>Shamir split of one 32-byte secret to 100 holders, threshold 51.</summary>
    [Benchmark]
    public byte[][] ShamirSplit() => ShamirSecretSharing.Split(_secret, Threshold, _holders, _random);

    /// <summary>One AES-256-CTR mask expansion added into a D-coordinate vector.</summary>
    [Benchmark]
    public void MaskExpansion() => _expander.Apply(_secret, _vector, MaskDirection.Add);

    /// <summary>One Ed25519 verification (NSec).</summary>
    [Benchmark]
    public bool Ed25519Verify() => _ed25519Verifier.Verify(new Consortia.SecureAggregation.ParticipantIndex(1), _payload, _ed25519Signature);

    /// <summary>One ECDSA P-256 verification (platform).</summary>
    [Benchmark]
    public bool EcdsaP256Verify() => _ecdsaVerifier.Verify(new Consortia.SecureAggregation.ParticipantIndex(1), _payload, _ecdsaSignature);
}
