using Consortia.SecureAggregation.Protocol;

namespace Consortia.Federation.Benchmarking;

/// <summary>What <see cref="SecAggBenchmark"/> measures.</summary>
/// <param name="Sites">Participating sites n (at least 3).</param>
/// <param name="Dim">Vector length D.</param>
/// <param name="Dropout">Fraction of sites that drop out during the round, in [0, 1).</param>
/// <param name="Neighbours">SecAgg+ graph degree k, or <see langword="null"/> for the complete graph (classic SecAgg).</param>
/// <param name="DropBeforeMasking">Whether dropped sites stop before sending their masked input (else after it, and their input is still summed).</param>
/// <param name="Seed">Seeds inputs, the dropout choice and the cryptographic randomness; <see langword="null"/> uses OS randomness.</param>
public sealed record SecAggBenchmarkSettings(int Sites, int Dim, double Dropout, int? Neighbours, bool DropBeforeMasking, ulong? Seed)
{
    /// <summary>⌊m/2⌋ + 1 for m holders (n, or k + 1 with SecAgg+): the smallest threshold sites accept (2t &gt; holders).</summary>
    public int Threshold => ((Neighbours is int k ? k + 1 : Sites) / 2) + 1;

    /// <summary>The threat model measured.</summary>
    /// <value>Default <see cref="SecAggSecurityMode.MaliciousServer"/>, as deployed and simulated (ECDSA P-256 signed
    /// advertisements and consistency check); <see cref="SecAggSecurityMode.SemiHonest"/> gives the comparison figure.</value>
    public SecAggSecurityMode Mode { get; init; } = SecAggSecurityMode.MaliciousServer;
}
