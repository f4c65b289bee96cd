namespace Consortia.Governance.Policies;

/// <summary>A weekly time window (UTC) during which jobs and rounds may run.</summary>
/// <param name="Days">The days of the week the window applies to (UTC calendar days).</param>
/// <param name="StartHourUtc">The first hour of the window, 0–23 (inclusive).</param>
/// <param name="EndHourUtc">The end of the window, 1–24 (exclusive); must be after <paramref name="StartHourUtc"/>.</param>
/// <remarks>A window does not cross midnight; an overnight window is written as two windows.</remarks>
public sealed record ScheduleWindow(IReadOnlyList<DayOfWeek> Days, int StartHourUtc, int EndHourUtc)
{
    /// <summary>Whether <paramref name="time"/> falls inside the window.</summary>
    /// <param name="time">The instant to test; its offset is ignored (it is converted to UTC).</param>
    /// <returns><see langword="true"/> when the UTC day is one of <see cref="Days"/> and the UTC hour is in [start, end).</returns>
    public bool Contains(DateTimeOffset time)
    {
        DateTime utc = time.UtcDateTime;
        bool dayMatches = false;
        foreach (DayOfWeek day in Days)
        {
            dayMatches |= day == utc.DayOfWeek;
        }

        return dayMatches && utc.Hour >= StartHourUtc && utc.Hour < EndHourUtc;
    }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Days is null || Days.Count == 0)
        {
            throw new ArgumentException("schedule.days: must list at least one day.", nameof(Days));
        }

        if (StartHourUtc is < 0 or > 23)
        {
            throw new ArgumentException($"schedule.start_hour_utc: must be 0-23, got {StartHourUtc}.", nameof(StartHourUtc));
        }

        if (EndHourUtc is < 1 or > 24 || EndHourUtc <= StartHourUtc)
        {
            throw new ArgumentException($"schedule.end_hour_utc: must be 1-24 and after start_hour_utc, got {EndHourUtc}.", nameof(EndHourUtc));
        }
    }

    /// <summary>A short description such as <c>Mon, Tue 18:00–24:00 UTC</c>.</summary>
    /// <returns>The description.</returns>
    public string Describe() =>
        string.Join(", ", Days.Select(d => d.ToString()[..3])) + $" {StartHourUtc:00}:00-{EndHourUtc:00}:00 UTC";
}
