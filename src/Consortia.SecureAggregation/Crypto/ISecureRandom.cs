namespace Consortia.SecureAggregation.Crypto;

/// <summary>
/// A source of cryptographic randomness: key pairs, self-mask seeds, Shamir coefficients and the
/// stochastic-rounding draws of the fixed-point codec all come from it.
/// </summary>
/// <remarks>
/// Deployments use <see cref="SystemSecureRandom"/> (the operating system CSPRNG). Tests and
/// reproducible simulations use <see cref="DeterministicSecureRandom"/>, which must never protect real
/// data. Implementations need not be thread-safe unless documented.
/// </remarks>
public interface ISecureRandom
{
    /// <summary>Fills <paramref name="destination"/> with random bytes.</summary>
    /// <param name="destination">The buffer to fill.</param>
    public void Fill(Span<byte> destination);
}
