using Consortia.Federation.Jobs.Store;

namespace Consortia.Dashboard;

/// <summary>What a dashboard shows and who may see it: the sources it reads (all read-only) and its access rules.</summary>
/// <remarks>
/// The dashboard only reads: the job store's jobs and committed rounds (aggregates the coordinator already holds:
/// contributors, refusals, failures, evaluation per site and global, the sites' own privacy accounting), the job
/// definitions' protections, the consortia and the audit ledger heads. It never holds patient-level data because the
/// coordinator never does.
/// </remarks>
public sealed class DashboardOptions
{
    /// <summary>The coordinator's (or the simulation's) job store.</summary>
    public required IJobStore Jobs { get; init; }

    /// <summary>Whether a presented admin token is the right one (compare in fixed time; see <see cref="AdminTokens.Matching"/>).</summary>
    public required Func<string, bool> IsAdminToken { get; init; }

    /// <summary>The clock for sessions and for watching the store.</summary>
    public required TimeProvider Time { get; init; }

    /// <summary>The consortia hosted (each with its members and ledger head), read on every request.</summary>
    /// <value>Default: none.</value>
    public Func<IReadOnlyList<DashboardConsortium>> Consortia { get; init; } = static () => [];

    /// <summary>The consortium a job belongs to, or <see langword="null"/> when unknown.</summary>
    /// <value>Default: the <c>consortium:</c> named in the job's YAML .</value>
    public Func<JobRecord, string?>? ConsortiumOf { get; init; }

    /// <summary>The head of the coordinator's audit ledger, or <see langword="null"/> when it keeps none.</summary>
    /// <value>Default: none.</value>
    public Func<LedgerHead?> Ledger { get; init; } = static () => null;

    /// <summary>How often a live view (server-sent events) looks at the store for new rounds and state changes.</summary>
    /// <value>Default: 500 ms.</value>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a browser session (after login) lasts.</summary>
    /// <value>Default: 8 hours.</value>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(8);

    /// <summary>
    /// How many failed logins and wrong bearer tokens one peer address may present within <see cref="LoginFailureWindow"/>
    /// before every credential it presents is answered 429 (Too Many Requests) until that window has passed.
    /// </summary>
    /// <value>Default: 5.</value>
    public int LoginFailureLimit { get; init; } = 5;

    /// <summary>The window in which <see cref="LoginFailureLimit"/> failures lock an address out; it starts at the address's first failure.</summary>
    /// <value>Default: 1 minute.</value>
    public TimeSpan LoginFailureWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether <c>GET /login?token=…</c> logs a browser in (the one link <c>simulate --serve</c> prints).</summary>
    /// <value>Default: <see langword="false"/>: a coordinator takes the token only in a form POST, so it never lands in a URL, a browser history or an access log.</value>
    public bool AllowTokenLink { get; init; }

    /// <summary>Whether the session cookie is marked <c>Secure</c> (sent only over HTTPS).</summary>
    /// <value>Default: <see langword="true"/>; the plain-HTTP loopback dashboard of <c>simulate --serve</c> turns it off.</value>
    public bool SecureCookie { get; init; } = true;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A source is missing, or an interval or the login failure limit is not positive (named).</exception>
    public void Validate()
    {
        if (Jobs is null || IsAdminToken is null || Time is null || Consortia is null || Ledger is null)
        {
            throw new ArgumentException("dashboard: the job store, the admin token check, the clock, the consortia and the ledger source are required.");
        }

        if (PollInterval <= TimeSpan.Zero || SessionLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException($"dashboard: poll interval ({PollInterval}) and session lifetime ({SessionLifetime}) must be positive.");
        }

        if (LoginFailureLimit < 1 || LoginFailureWindow <= TimeSpan.Zero)
        {
            throw new ArgumentException($"dashboard: the login failure limit ({LoginFailureLimit}) must be at least 1 and its window ({LoginFailureWindow}) positive.");
        }
    }
}
