namespace Consortia.Federation.Benchmarking;

/// <summary>What <c>consortia bench scale</c> measured.</summary>
/// <param name="Settings">The run's shape.</param>
/// <param name="SetupSeconds">Wall time to build the sites' data (the shards).</param>
/// <param name="WallSeconds">Wall time of the simulated job: sites composed, every round run, final evaluation.</param>
/// <param name="RoundsCompleted">Rounds that aggregated.</param>
/// <param name="SiteUpdates">Site updates that entered an aggregate, over all rounds.</param>
/// <param name="EveryRoundFull">Every round aggregated every site's update.</param>
/// <param name="PeakWorkingSetBytes">The process's peak resident memory (the kernel's high-water mark, from process start).</param>
/// <param name="PeakManagedHeapBytes">The largest managed heap seen after a round (live objects and garbage not yet collected).</param>
/// <param name="RetainedBytesPerSite">Managed memory the composed sites keep while idle, per site (measured after a full collection, before the first round).</param>
/// <param name="FinalAccuracy">Mean test accuracy of the final model over the sites.</param>
public sealed record ScaleBenchResult(
    ScaleBenchSettings Settings,
    double SetupSeconds,
    double WallSeconds,
    int RoundsCompleted,
    long SiteUpdates,
    bool EveryRoundFull,
    long PeakWorkingSetBytes,
    long PeakManagedHeapBytes,
    double RetainedBytesPerSite,
    double FinalAccuracy)
{
    /// <summary>Rounds per second of wall time.</summary>
    public double RoundsPerSecond => RoundsCompleted / WallSeconds;

    /// <summary>Site updates per second of wall time.</summary>
    public double SiteUpdatesPerSecond => SiteUpdates / WallSeconds;
}
