using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation.Profiles;
using Consortia.Federation.Strategies.Scheduling;

namespace Consortia.Federation.Tests.Jobs;

public sealed class SchedulingJobFileTests
{
    private const string Job = """
        name: test
        seed: 7
        data:
          format: flamby-heart-disease
          path: data
        model:
          kind: logistic
        training:
          rounds: 3
          local_steps: 100
          batch_size: 4
        scheduling:
          fraction: 0.5
          min_sites: 2
          stratify_by_size: true
          deadline_seconds: 30
          over_selection: 0.3
          capacity_sized_work: true
          work_share: 0.7
        simulation:
          profiles:
            default:
              speed: {min: 100, max: 1000}
              dropout: 0.2
            hospital-a:
              speed: 5000
              latency_ms: 10
              bandwidth_mbps: 1000
              offline: ["22:00-06:00"]
        """;

    [Fact]
    public void SchedulingAndProfilesAreBound()
    {
        JobDefinition job = JobFile.Parse(Job, "job.yaml");

        SchedulingOptions s = Assert.IsType<SchedulingOptions>(job.Scheduling);
        Assert.Equal((0.5, 2, true, TimeSpan.FromSeconds(30), 0.3, true, 0.7), (s.Fraction, s.MinimumSites, s.StratifyBySize, s.Deadline!.Value, s.OverSelection, s.CapacitySizedWork, s.WorkShare));
        Assert.IsType<ScheduledStrategy>(job.CreateStrategy());
        SimulationProfiles profiles = Assert.IsType<SimulationProfiles>(job.Profiles);
        Assert.Equal(new ProfileRange(100, 1000), profiles.Sites["default"].Speed);
        SiteProfileSettings a = profiles.Sites["hospital-a"];
        Assert.Equal((ProfileRange.Fixed(5000), ProfileRange.Fixed(10), ProfileRange.Fixed(1000)), (a.Speed, a.LatencyMilliseconds, a.BandwidthMbps));
        Assert.Equal([new OfflineWindow(TimeSpan.FromHours(22), TimeSpan.FromHours(6))], a.Offline);
    }

    [Fact]
    public void SecureFedBuffNeedsABufferOfThreeSites()
    {
        const string Buffered = "scheduling:\n  buffer: {0}\nprivacy:\n  secure_aggregation: true\n";
        string head = Job[..Job.IndexOf("scheduling:", StringComparison.Ordinal)];

        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(head + string.Format(System.Globalization.CultureInfo.InvariantCulture, Buffered, 2), "job.yaml"));
        JobDefinition job = JobFile.Parse(head + string.Format(System.Globalization.CultureInfo.InvariantCulture, Buffered, 3), "job.yaml");

        Assert.Contains("scheduling", error.Message, StringComparison.Ordinal);
        Assert.Contains("at least 3 sites", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, job.Scheduling!.Buffer);
        Assert.NotNull(job.Engine.SecureAggregation);
    }

    [Fact]
    public void ShippedExampleIsValid()
    {
        JobDefinition job = JobFile.Load(Consortia.TestKit.RepositoryPaths.Combine("examples", "heart-disease", "heterogeneous.yaml"));

        Assert.True(job.Scheduling!.CapacitySizedWork);
        Assert.Equal(["default", "hungarian"], job.Profiles!.Sites.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DrawnProfilesAreSeededAndInRange()
    {
        SimulationProfiles profiles = JobFile.Parse(Job, "job.yaml").Profiles!;
        string[] sites = ["hospital-a", "clinic-b", "clinic-c", "clinic-d"];

        IReadOnlyList<SiteProfile> first = profiles.Resolve(sites, 7);

        Assert.Equal(first, profiles.Resolve(sites, 7));
        Assert.NotEqual(first, profiles.Resolve(sites, 8));
        Assert.Equal(5000, first[0].ExamplesPerSecond);
        Assert.All(first.Skip(1), p => Assert.InRange(p.ExamplesPerSecond, 100, 1000));
        Assert.All(first.Skip(1), p => Assert.Equal(0.2, p.Dropout));
        Assert.False(first[0].IsScheduledOnline(new DateTimeOffset(2000, 1, 1, 23, 0, 0, TimeSpan.Zero)));
        Assert.True(first[0].IsScheduledOnline(new DateTimeOffset(2000, 1, 1, 12, 0, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("offline: [\"22:00-06:00\"]", "offline: [\"late\"]", "simulation.profiles.hospital-a.offline")]
    [InlineData("speed: 5000", "speed: -1", "simulation.profiles.hospital-a.speed")]
    [InlineData("dropout: 0.2", "dropout: 1.5", "simulation.profiles.default.dropout")]
    [InlineData("work_share: 0.7", "wrk_share: 0.7", "scheduling.wrk_share")]
    [InlineData("  local_steps: 100\n", "", "scheduling.capacity_sized_work")]
    public void BadValuesAreNamed(string from, string to, string field)
    {
        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(Job.Replace(from, to, StringComparison.Ordinal), "job.yaml"));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }
}
