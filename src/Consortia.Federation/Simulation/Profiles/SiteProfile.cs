namespace Consortia.Federation.Simulation.Profiles;

/// <summary>
/// How one simulated site performs: compute speed, network latency and bandwidth, and when it is reachable. Only the
/// simulated timeline uses it; the site's training itself is the same code as in a deployment.
/// </summary>
public sealed record SiteProfile
{
    /// <summary>Training examples the site processes per second (one optimizer step on a batch of b rows costs b examples).</summary>
    /// <value>Default: 1,000.</value>
    public double ExamplesPerSecond { get; init; } = 1_000;

    /// <summary>One-way network latency between the site and the coordinator.</summary>
    /// <value>Default: 50 ms.</value>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Network bandwidth in bytes per second, in each direction.</summary>
    /// <value>Default: 12.5 MB/s (100 Mbit/s).</value>
    public double BytesPerSecond { get; init; } = 12.5e6;

    /// <summary>The probability that the site drops out of a round it was asked to train in (drawn per site and round from the job seed).</summary>
    /// <value>Default: 0.</value>
    public double Dropout { get; init; }

    /// <summary>Daily windows (UTC time of day) when the site is offline, e.g. a clinic that shuts its machines at night.</summary>
    /// <value>Default: none.</value>
    public IReadOnlyList<OfflineWindow> Offline { get; init; } = [];

    /// <summary>Whether the site is reachable at <paramref name="instant"/> under its schedule.</summary>
    /// <param name="instant">The simulated instant.</param>
    /// <returns><see langword="false"/> inside an offline window.</returns>
    public bool IsScheduledOnline(DateTimeOffset instant)
    {
        TimeSpan timeOfDay = instant.UtcDateTime.TimeOfDay;
        return !Offline.Any(w => w.Contains(timeOfDay));
    }

    /// <summary>The simulated time one training task takes: the model down, the work, the update up, with latency both ways.</summary>
    /// <param name="examples">Examples processed (steps × batch size).</param>
    /// <param name="bytes">The model's (and the update's) size in bytes.</param>
    /// <returns>The time from dispatch to the reply's arrival.</returns>
    public TimeSpan TrainingTime(long examples, long bytes) =>
        TimeSpan.FromSeconds((2 * Latency.TotalSeconds) + (2 * bytes / BytesPerSecond) + (examples / ExamplesPerSecond));

    /// <summary>Checks the profile and names the offending field.</summary>
    /// <param name="field">The profile's path in the job file (e.g. <c>simulation.profiles.hospital-a</c>).</param>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate(string field)
    {
        if (!(double.IsFinite(ExamplesPerSecond) && ExamplesPerSecond > 0))
        {
            throw new ArgumentException($"{field}.speed: expected a positive number of examples per second, got {ExamplesPerSecond}.");
        }

        if (!(double.IsFinite(BytesPerSecond) && BytesPerSecond > 0))
        {
            throw new ArgumentException($"{field}.bandwidth_mbps: expected a positive bandwidth, got {BytesPerSecond * 8 / 1e6} Mbit/s.");
        }

        if (Latency < TimeSpan.Zero)
        {
            throw new ArgumentException($"{field}.latency_ms: expected a non-negative latency, got {Latency.TotalMilliseconds}.");
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentException($"{field}.dropout: expected a probability in [0, 1), got {Dropout}.");
        }
    }
}

/// <summary>A daily offline window in UTC time of day; it may wrap past midnight (22:00–06:00).</summary>
/// <param name="From">When the window opens.</param>
/// <param name="To">When it closes (exclusive).</param>
public sealed record OfflineWindow(TimeSpan From, TimeSpan To)
{
    /// <summary>Whether <paramref name="timeOfDay"/> falls inside the window.</summary>
    /// <param name="timeOfDay">A UTC time of day.</param>
    /// <returns><see langword="true"/> inside the window.</returns>
    public bool Contains(TimeSpan timeOfDay) =>
        From <= To ? timeOfDay >= From && timeOfDay < To : timeOfDay >= From || timeOfDay < To;

    /// <summary>Parses <c>HH:MM-HH:MM</c>.</summary>
    /// <param name="text">The window.</param>
    /// <param name="window">The parsed window.</param>
    /// <returns>Whether the text is a window.</returns>
    public static bool TryParse(string text, out OfflineWindow window)
    {
        window = new OfflineWindow(TimeSpan.Zero, TimeSpan.Zero);
        string[] parts = (text ?? "").Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && TimeSpan.TryParseExact(parts[0], @"hh\:mm", System.Globalization.CultureInfo.InvariantCulture, out TimeSpan from)
            && TimeSpan.TryParseExact(parts[1], @"hh\:mm", System.Globalization.CultureInfo.InvariantCulture, out TimeSpan to)
            && from != to)
        {
            window = new OfflineWindow(from, to);
            return true;
        }

        return false;
    }
}
