namespace Consortia.Federation.Benchmarking;

/// <summary>The shape of <c>consortia bench scale</c>: how many virtual sites, rounds and model parameters.</summary>
public sealed record ScaleBenchSettings
{
    /// <summary>Virtual sites, all in this process.</summary>
    /// <value>Default 1,000.</value>
    public int Sites { get; init; } = 1_000;

    /// <summary>Rounds of FedAvg; every site trains in every round.</summary>
    /// <value>Default 50.</value>
    public int Rounds { get; init; } = 50;

    /// <summary>Features of the logistic model (its parameters are this plus the bias).</summary>
    /// <value>Default 10,000.</value>
    public int Dimension { get; init; } = 10_000;

    /// <summary>Training rows per site (each site also holds a quarter as many test rows).</summary>
    /// <value>Default 16.</value>
    public int RowsPerSite { get; init; } = 16;

    /// <summary>Distinct synthetic data shards; site <c>i</c> holds shard <c>i mod Shards</c> (read-only, shared), so the
    /// benchmark measures the platform's cost per site rather than the data's.</summary>
    /// <value>Default 16.</value>
    public int Shards { get; init; } = 16;

    /// <summary>Local mini-batch steps per site per round (batch = <see cref="RowsPerSite"/>).</summary>
    /// <value>Default 1.</value>
    public int LocalSteps { get; init; } = 1;

    /// <summary>The job seed.</summary>
    /// <value>Default 42.</value>
    public ulong Seed { get; init; } = 42;

    /// <summary>Checks the settings and names the offending option.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        Check(Sites, 1, 1_000_000, "--sites");
        Check(Rounds, 1, 100_000, "--rounds");
        Check(Dimension, 1, 10_000_000, "--dim");
        Check(RowsPerSite, 1, 100_000, "rows per site");
        Check(Shards, 1, 1_000_000, "shards");
        Check(LocalSteps, 1, 100_000, "local steps");
        static void Check(int value, int min, int max, string name)
        {
            if (value < min || value > max)
            {
                throw new ArgumentException($"{name}: expected an integer from {min} to {max}, got {value}.");
            }
        }
    }
}
