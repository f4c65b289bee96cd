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

    /// <summary>The columns the site declares sensitive (<c>data.sensitive</c>): a fairness audit may group its records by these only.</summary>
    public IReadOnlyList<string> Sensitive { get; init; } = [];

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

    /// <summary>
    /// The consortia the node serves (<c>consortia:</c> in its site.yaml, each with its own policy, data and agreement);
    /// empty for a node of one consortium (then <see cref="Policy"/> and <see cref="Budget"/> apply). With memberships,
    /// leave <see cref="Policy"/> and <see cref="Budget"/> unset: the node refuses them beside <c>consortia:</c>.
    /// </summary>
    public IReadOnlyList<LocalMembership> Memberships { get; init; } = [];
}

/// <summary>One consortium a <see cref="LocalSite"/> serves: an item of <c>consortia:</c> in its site.yaml.</summary>
/// <param name="Consortium">The consortium, as its jobs name it.</param>
/// <param name="Policy">The site's policy for its jobs (absolute).</param>
/// <param name="DataPath">The dataset for its jobs (absolute).</param>
/// <param name="DataSite">This site's name inside that dataset.</param>
internal sealed record LocalMembership(string Consortium, string Policy, string DataPath, string DataSite)
{
    /// <summary>The agreement enforced on its jobs (absolute; its signatures beside it), replacing the policy's; none to keep the policy's.</summary>
    public string? Agreement { get; init; }
}
