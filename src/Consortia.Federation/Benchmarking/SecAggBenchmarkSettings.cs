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
    /// <summary>The semi-honest default ⌊m/2⌋ + 1 for m holders (n, or k + 1 with SecAgg+).</summary>
    public int Threshold => ((Neighbours is int k ? k + 1 : Sites) / 2) + 1;
}
