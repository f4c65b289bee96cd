using System.Security.Cryptography;

namespace Consortia.SecureAggregation.Crypto;

/// <summary>The operating system CSPRNG (<see cref="RandomNumberGenerator"/>).</summary>
/// <remarks>Thread-safe. This is the only source to use when real data is protected.</remarks>
public sealed class SystemSecureRandom : ISecureRandom
{
    private SystemSecureRandom()
    {
    }

    /// <summary>The shared instance.</summary>
    public static SystemSecureRandom Instance { get; } = new();

    /// <inheritdoc />
    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
