namespace Consortia.Network.Node;

/// <summary>
/// Exponential backoff with jitter for a node's reconnections: attempt <c>n</c> waits a random time between
/// half and all of <c>min(max, initial · 2ⁿ)</c> ("equal jitter"), so a coordinator restart is not met by every
/// node of a consortium at the same instant, and a node that cannot connect settles at a few minutes between
/// attempts instead of several a second.
/// </summary>
/// <param name="initial">The first delay's upper bound.</param>
/// <param name="max">The longest delay.</param>
/// <param name="random">The jitter's source (seeded in tests; shared calls are serialised here).</param>
public sealed class ReconnectBackoff(TimeSpan initial, TimeSpan max, Random random)
{
    private readonly Lock _gate = new();
    private int _attempts;

    /// <summary>How many delays have been taken since the last <see cref="Reset"/>.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>The delay before the next attempt (and counts the attempt).</summary>
    public TimeSpan Next()
    {
        lock (_gate)
        {
            double factor = Math.Pow(2, Math.Min(_attempts, 30));
            _attempts++;
            return Jitter(Math.Min(max.Ticks, initial.Ticks * factor));
        }
    }

    /// <summary>
    /// The delay after a failure that retrying soon cannot fix (revoked certificate, a second node with the same
    /// identity, the wrong port): the longest, still jittered, so such a node stops hammering the coordinator.
    /// </summary>
    public TimeSpan Longest()
    {
        lock (_gate)
        {
            _attempts++;
            return Jitter(max.Ticks);
        }
    }

    /// <summary>Starts over after a successful connection.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _attempts = 0;
        }
    }

    private TimeSpan Jitter(double cap) => TimeSpan.FromTicks((long)((cap / 2) + (random.NextDouble() * cap / 2)));
}
