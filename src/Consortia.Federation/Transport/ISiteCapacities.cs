namespace Consortia.Federation.Transport;

/// <summary>What a site reports about its capacity: its measured training speed and the size of its training data.</summary>
/// <param name="ExamplesPerSecond">Training examples the site processed per second when it last trained (or its benchmark at start-up).</param>
/// <param name="TrainingExamples">The number of local training examples, or <see langword="null"/> when the site does not report it.</param>
public sealed record SiteCapacity(double ExamplesPerSecond, int? TrainingExamples = null);

/// <summary>
/// A transport that knows its sites' reported capacities: the scheduler sizes each site's work to the round's deadline
/// from them. Simulation reports each site's profile; a deployment, what each node measured and sent with its work requests.
/// </summary>
public interface ISiteCapacities
{
    /// <summary>The latest report of each site that has reported; sites missing here get the job's nominal work.</summary>
    public IReadOnlyDictionary<SiteId, SiteCapacity> Capacities { get; }
}
