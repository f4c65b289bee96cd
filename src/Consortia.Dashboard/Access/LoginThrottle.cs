using System.Collections.Concurrent;
using System.Net;

namespace Consortia.Dashboard.Access;

/// <summary>
/// Limits guessing of the admin token per peer address: failed logins and wrong bearer tokens are counted in a fixed
/// window that starts at an address's first failure; once an address has failed <c>limit</c> times in its window, every
/// credential it presents (right or wrong) is answered 429 until the window has passed. Other addresses, and open
/// sessions, are unaffected.
/// </summary>
/// <remarks>
/// <para>
/// A small class rather than ASP.NET Core's rate limiter: that one counts requests, not failures, and its windows run
/// on their own clock, whereas this one must count only failures and run on the injected clock (tests advance a fake one).
/// </para>
/// <para>
/// A locked-out address is refused even the right token, or the lockout would still tell a guesser which guess was
/// right. Memory stays bounded by the addresses that failed within one window: expired entries are swept on each
/// failure. Thread-safe.
/// </para>
/// </remarks>
internal sealed class LoginThrottle(TimeProvider time, int limit, TimeSpan window)
{
    private readonly ConcurrentDictionary<IPAddress, Failures> _failures = new();

    /// <summary>How long <paramref name="address"/> must still wait, or <see langword="null"/> when it may present a credential.</summary>
    public TimeSpan? RetryAfter(IPAddress? address)
    {
        if (address is null || !_failures.TryGetValue(Key(address), out Failures? failures))
        {
            return null;
        }

        DateTimeOffset now = time.GetUtcNow();
        lock (failures)
        {
            return failures.Count >= limit && now < failures.Ends ? failures.Ends - now : null;
        }
    }

    /// <summary>Counts a failed login or wrong bearer token from <paramref name="address"/>.</summary>
    /// <returns>How long the address is now locked out, when this failure reached the limit; otherwise <see langword="null"/>.</returns>
    public TimeSpan? Fail(IPAddress? address)
    {
        if (address is null)
        {
            return null; // no peer address (an in-process test server): nothing to key on
        }

        DateTimeOffset now = time.GetUtcNow();
        Sweep(now);
        while (true)
        {
            Failures failures = _failures.GetOrAdd(Key(address), static _ => new Failures());
            lock (failures)
            {
                if (failures.Swept)
                {
                    continue; // a sweep removed it meanwhile: count in the entry that replaces it
                }

                if (now >= failures.Ends)
                {
                    failures.Count = 0;
                    failures.Ends = now + window;
                }

                failures.Count++;
                return failures.Count == limit ? failures.Ends - now : null;
            }
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (KeyValuePair<IPAddress, Failures> entry in _failures)
        {
            lock (entry.Value)
            {
                if (now >= entry.Value.Ends)
                {
                    entry.Value.Swept = true;
                    _failures.TryRemove(entry);
                }
            }
        }
    }

    // An IPv4 client seen through a dual-stack socket is the same peer as over IPv4.
    private static IPAddress Key(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>One address's failures in its current window (guarded by locking the instance).</summary>
    private sealed class Failures
    {
        public int Count { get; set; }

        /// <summary>When the window ends (none yet: already ended).</summary>
        public DateTimeOffset Ends { get; set; } = DateTimeOffset.MinValue;

        /// <summary>Removed from the table: a failure must be counted in a new entry.</summary>
        public bool Swept { get; set; }
    }
}
