namespace Consortia.Cli.Deployment;

/// <summary>Where and how a <see cref="LocalConsortium"/> is set up.</summary>
internal sealed record LocalConsortiumOptions
{
    /// <summary>The folder for the coordinator home, the configurations and the sites' folders (created if missing).</summary>
    public required string Root { get; init; }

    /// <summary>The consortium's name (in its CA certificate).</summary>
    public string ConsortiumName { get; init; } = "local";

    /// <summary>
    /// The member sites of the consortium roster every node accepts before it starts (their keys are made in their
    /// state folders, as <c>consortia roster join|add|accept</c> would); empty for no roster, in which case nodes refuse
    /// secure aggregation as a real node without an accepted roster does.
    /// </summary>
    public IReadOnlyList<string> RosterSites { get; init; } = [];

    /// <summary>The consortium the roster is for (the jobs' <c>consortium:</c>).</summary>
    public string RosterConsortium { get; init; } = "heart-consortium";

    /// <summary>The coordinator's host name or address; its certificate is issued for it.</summary>
    public string CoordinatorHost { get; init; } = "127.0.0.1";

    /// <summary>Further names or addresses in the coordinator's certificate.</summary>
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];

    /// <summary>A command the coordinator runs under (e.g. <c>ip netns exec NS</c>); empty to run it directly.</summary>
    public IReadOnlyList<string> CoordinatorWrapper { get; init; } = [];

    /// <summary>How long a command, or a server getting ready, may take.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a server may take to stop after SIGTERM before it is killed.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Whether disposing deletes <see cref="Root"/>.</summary>
    public bool DeleteRootOnDispose { get; init; }
}
