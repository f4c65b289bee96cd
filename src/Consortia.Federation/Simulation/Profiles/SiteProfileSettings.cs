namespace Consortia.Federation.Simulation.Profiles;

/// <summary>One entry of a job's <c>simulation.profiles</c>: fixed values or ranges that each site draws from (seeded).</summary>
public sealed record SiteProfileSettings
{
    /// <summary>Examples per second.</summary>
    public ProfileRange Speed { get; init; } = ProfileRange.Fixed(1_000);

    /// <summary>One-way latency in milliseconds.</summary>
    public ProfileRange LatencyMilliseconds { get; init; } = ProfileRange.Fixed(50);

    /// <summary>Bandwidth in megabits per second.</summary>
    public ProfileRange BandwidthMbps { get; init; } = ProfileRange.Fixed(100);

    /// <summary>The probability of dropping out of a round.</summary>
    public double Dropout { get; init; }

    /// <summary>Daily offline windows.</summary>
    public IReadOnlyList<OfflineWindow> Offline { get; init; } = [];

    /// <summary>Draws a site's profile.</summary>
    /// <param name="random">The site's random source.</param>
    /// <returns>The profile.</returns>
    public SiteProfile Draw(Learning.RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new SiteProfile
        {
            ExamplesPerSecond = Speed.Draw(random.Derive("speed")),
            Latency = TimeSpan.FromMilliseconds(LatencyMilliseconds.Draw(random.Derive("latency"))),
            BytesPerSecond = BandwidthMbps.Draw(random.Derive("bandwidth")) * 1e6 / 8,
            Dropout = Dropout,
            Offline = Offline,
        };
    }
}

/// <summary>
/// A job's <c>simulation.profiles</c> section: an entry per site by name, and a <c>default</c> entry for the rest. Each
/// site's values are drawn from the job seed and the site's position, so a job and seed give the same consortium.
/// </summary>
/// <param name="Sites">Entries by site name; key <c>default</c> for every other site.</param>
public sealed record SimulationProfiles(IReadOnlyDictionary<string, SiteProfileSettings> Sites)
{
    /// <summary>The key of the entry for sites not named.</summary>
    public const string DefaultKey = "default";

    /// <summary>Every site's profile, in order.</summary>
    /// <param name="siteNames">The sites in canonical order.</param>
    /// <param name="seed">The job seed.</param>
    /// <returns>The profiles.</returns>
    /// <exception cref="ArgumentException">A drawn value is out of range (the message names the entry and field).</exception>
    public IReadOnlyList<SiteProfile> Resolve(IReadOnlyList<string> siteNames, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(siteNames);
        Learning.RandomSource random = new Learning.RandomSource(seed).Derive("profiles");
        SiteProfileSettings fallback = Sites.TryGetValue(DefaultKey, out SiteProfileSettings? d) ? d : new SiteProfileSettings();
        return [.. siteNames.Select((name, i) =>
        {
            string key = Sites.ContainsKey(name) ? name : DefaultKey;
            SiteProfile profile = (Sites.TryGetValue(name, out SiteProfileSettings? s) ? s : fallback).Draw(random.Derive((ulong)i));
            profile.Validate($"simulation.profiles.{key}");
            return profile;
        })];
    }
}
