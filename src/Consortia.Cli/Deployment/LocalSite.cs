using Consortia.Privacy.Budget;

namespace Consortia.Cli.Deployment;

/// <summary>One site of a <see cref="LocalConsortium"/>: what its site.yaml says.</summary>
/// <param name="Name">The site's name (its certificate's common name).</param>
/// <param name="DataPath">The dataset file or folder (absolute).</param>
/// <param name="DataSite">This site's name inside the dataset.</param>
internal sealed record LocalSite(string Name, string DataPath, string DataSite)
{
    /// <summary>The data contract (absolute), for CSV data; none to use the job's.</summary>
    public string? Contract { get; init; }

    /// <summary>The site's policy file (absolute); without one the node refuses every job.</summary>
    public string? Policy { get; init; }

    /// <summary>Whether the node derives its randomness from the job seed (<c>randomness: seeded</c>, not private) to reproduce a simulation; default the cryptographic generator.</summary>
    public bool SeededRandomness { get; init; }

    /// <summary>The site's lifetime privacy budget; none when absent.</summary>
    public LifetimeBudget? Budget { get; init; }

    /// <summary>A command the node runs under (e.g. <c>ip netns exec NS</c>); none to run it directly.</summary>
    public IReadOnlyList<string>? Wrapper { get; init; }

    /// <summary>The coordinator's address as this site dials it; the consortium's coordinator host when none.</summary>
    public string? CoordinatorAddress { get; init; }
}
