namespace Consortia.Privacy.Mechanisms;

/// <summary>A source of independent standard normal draws for differential-privacy noise.</summary>
/// <remarks>
/// Deployments use <see cref="CryptographicNoiseSource"/> (operating-system CSPRNG); tests and simulations inject
/// <see cref="SeededNoiseSource"/> explicitly. Implementations need not be thread-safe.
/// </remarks>
public interface INoiseSource
{
    /// <summary>Fills <paramref name="destination"/> with independent N(0, 1) draws.</summary>
    /// <param name="destination">The buffer to fill.</param>
    public void NextStandardNormals(Span<double> destination);
}
