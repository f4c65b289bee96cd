using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Dashboard.Access;
using Consortia.Dashboard.Api;
using Consortia.Dashboard.Pages;
using Consortia.Federation.Jobs.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Dashboard;

/// <summary>Maps the dashboard's pages and JSON API onto a web application (docs/dashboard.md lists them).</summary>
/// <remarks>
/// Every endpoint is a GET that reads, except login and logout (which touch only the browser's session). Every page
/// and API call needs the admin credential: API calls as <c>Authorization: Bearer &lt;token&gt;</c> or the session
/// cookie; pages the session cookie, which <c>/login</c> hands out for the token. Refusals answer 401 (API) or redirect to
/// <c>/login</c> (pages); failed logins and wrong bearer tokens are logged with the peer's address and limited per address
/// (<see cref="DashboardOptions.LoginFailureLimit"/>, then 429 until the window has passed). Every response
/// carries a Content-Security-Policy that allows only the dashboard itself (<c>'self'</c>), so nothing is loaded from the network.
/// </remarks>
public static partial class DashboardEndpoints
{
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
    };

    /// <summary>Maps the dashboard at the root of <paramref name="endpoints"/>.</summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="options">The sources and access rules.</param>
    /// <returns>The dashboard's endpoints as one group (a host restricts them, e.g. to one listener).</returns>
    /// <exception cref="ArgumentException">The options are incomplete.</exception>
    public static RouteGroupBuilder MapConsortiaDashboard(this IEndpointRouteBuilder endpoints, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ILogger log = endpoints.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("consortia.dashboard") ?? NullLogger.Instance;
        LoginThrottle throttle = new(options.Time, options.LoginFailureLimit, options.LoginFailureWindow);
        Handlers h = new(options, new DashboardSessions(options.Time, options.SessionLifetime), throttle, new JobViews(options), log);
        RouteGroupBuilder group = endpoints.MapGroup("");
        group.MapGet("/assets/{name}", Handlers.AssetAsync);
        group.MapGet("/login", h.LoginPageAsync);
        group.MapPost("/login", h.LoginAsync);
        group.MapPost("/logout", h.LogoutAsync);
        group.MapGet("/", h.Page(h.IndexAsync));
        group.MapGet("/live", h.Page(h.IndexLiveAsync));
        group.MapGet("/jobs/{id}", h.Page(h.JobAsync));
        group.MapGet("/jobs/{id}/live", h.Page(h.LiveAsync));
        group.MapGet("/jobs/{id}/charts/{chart}.svg", h.Page(h.ChartAsync));
        group.MapGet("/api/jobs", h.Api(c => Handlers.JsonAsync(c, h.Views.Jobs())));
        group.MapGet("/api/jobs/events", h.Api(h.JobListEventsAsync)); // a literal segment: takes precedence over {id} (job ids are hex)
        group.MapGet("/api/jobs/{id}", h.Api(h.JobJsonAsync));
        group.MapGet("/api/jobs/{id}/rounds", h.Api(h.RoundsJsonAsync));
        group.MapGet("/api/jobs/{id}/events", h.Api(h.EventsAsync));
        group.MapGet("/api/consortia", h.Api(c => Handlers.JsonAsync(c, h.Views.Consortia())));
        group.MapGet("/api/ledger", h.Api(c => Handlers.JsonAsync(c, h.Views.Ledger())));
        return group;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "dashboard: refused login from {Peer}: {Problem}")]
    private static partial void LogLoginRefused(ILogger log, string peer, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "dashboard: refused {Method} {Path} from {Peer}: wrong admin token")]
    private static partial void LogWrongToken(ILogger log, string method, string path, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "dashboard: locked out {Address} for {Seconds} s: {Limit} failed logins or wrong admin tokens within {Window}")]
    private static partial void LogLockedOut(ILogger log, System.Net.IPAddress address, int seconds, int limit, TimeSpan window);

    [LoggerMessage(Level = LogLevel.Warning, Message = "dashboard: refused {Method} {Path} from {Peer} with 429: too many failed logins, locked out for {Seconds} s more")]
    private static partial void LogThrottled(ILogger log, string method, string path, string peer, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "dashboard: login from {Address}:{Port}")]
    private static partial void LogLogin(ILogger log, System.Net.IPAddress? address, int port);

    private sealed class Handlers(DashboardOptions options, DashboardSessions sessions, LoginThrottle throttle, JobViews views, ILogger log)
    {
        private const int MaxTokenLength = 512;

        /// <summary>
        /// How far before a resumed list stream's cursor jobs are sent again: a change stamped just before the cursor may
        /// become visible only after it (a store transaction in flight, another coordinator's clock). A job sent twice is
        /// harmless, each event being the job's whole summary.
        /// </summary>
        private static readonly TimeSpan ResumeOverlap = TimeSpan.FromSeconds(5);

        public JobViews Views => views;

        public RequestDelegate Page(Func<HttpContext, Task> handler) => context =>
        {
            Secure(context);
            if (Authenticated(context, out TimeSpan? wait))
            {
                return handler(context);
            }

            if (wait is { } locked)
            {
                return TooManyPageAsync(context, locked);
            }

            context.Response.Redirect("/login", permanent: false);
            return Task.CompletedTask;
        };

        public RequestDelegate Api(Func<HttpContext, Task> handler) => context =>
        {
            Secure(context);
            if (Authenticated(context, out TimeSpan? wait))
            {
                return handler(context);
            }

            if (wait is { } locked)
            {
                TooMany(context, locked);
                return context.Response.WriteAsJsonAsync(new { error = $"too many failed logins or wrong admin tokens from this address: retry after {RetrySeconds(locked)} s" }, Json, context.RequestAborted);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return context.Response.WriteAsJsonAsync(new { error = "the admin credential is missing or wrong (Authorization: Bearer <admin.token>, or log in at /login)" }, Json, context.RequestAborted);
        };

        /// <summary>
        /// A bearer token (API clients) or an open session cookie (browsers). A wrong bearer token is logged and counted
        /// against the peer's address; an address locked out (<paramref name="wait"/>: for how long) has no token checked.
        /// </summary>
        private bool Authenticated(HttpContext context, out TimeSpan? wait)
        {
            wait = null;
            string? authorization = context.Request.Headers.Authorization;
            if (authorization is not null)
            {
                wait = Throttled(context);
                if (wait is not null)
                {
                    return false;
                }

                const string scheme = "Bearer ";
                bool valid = authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
                    && authorization.Length - scheme.Length <= MaxTokenLength
                    && options.IsAdminToken(authorization[scheme.Length..].Trim());
                if (!valid)
                {
                    LogWrongToken(log, context.Request.Method, context.Request.Path, Peer(context));
                    Fail(context);
                }

                return valid;
            }

            return sessions.IsOpen(context.Request.Cookies[DashboardSessions.CookieName]);
        }

        public static async Task AssetAsync(HttpContext context, string name)
        {
            Secure(context);
            (string resource, string type)? asset = name switch
            {
                "dashboard.css" => ("Consortia.Dashboard.Assets.dashboard.css", "text/css; charset=utf-8"),
                "dashboard.js" => ("Consortia.Dashboard.Assets.dashboard.js", "text/javascript; charset=utf-8"),
                _ => null,
            };
            if (asset is not { } found)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await using Stream stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream(found.resource)
                ?? throw new InvalidOperationException($"The dashboard asset {found.resource} is not embedded (Consortia.Dashboard.csproj, Assets/).");
            context.Response.ContentType = found.type;
            await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
        }

        public Task LoginPageAsync(HttpContext context)
        {
            Secure(context);
            string? token = context.Request.Query["token"];
            if (token is null)
            {
                return HtmlAsync(context, DashboardHtml.Login(null));
            }

            if (!options.AllowTokenLink)
            {
                LogLoginRefused(log, Peer(context), "token in a link (this dashboard takes it only from the login form)");
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return HtmlAsync(context, DashboardHtml.Login("This dashboard takes the admin token only from the form below, never from a link."));
            }

            return CompleteLoginAsync(context, token);
        }

        public async Task LoginAsync(HttpContext context)
        {
            Secure(context);
            string? token = null;
            if (context.Request.HasFormContentType)
            {
                IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted);
                token = form["token"];
            }

            await CompleteLoginAsync(context, token ?? "");
        }

        private Task CompleteLoginAsync(HttpContext context, string token)
        {
            if (Throttled(context) is { } locked)
            {
                return TooManyPageAsync(context, locked);
            }

            if (token.Length == 0 || token.Length > MaxTokenLength || !options.IsAdminToken(token))
            {
                LogLoginRefused(log, Peer(context), token.Length == 0 ? "no token" : "wrong admin token");
                Fail(context);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return HtmlAsync(context, DashboardHtml.Login("That is not the admin token."));
            }

            (string id, DateTimeOffset expires) = sessions.Open();
            context.Response.Cookies.Append(DashboardSessions.CookieName, id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = options.SecureCookie,
                Path = "/",
                Expires = expires,
                IsEssential = true,
            });
            LogLogin(log, context.Connection.RemoteIpAddress, context.Connection.RemotePort);
            // 303: the browser fetches the dashboard with GET, and the URL with the token leaves the address bar.
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = "/";
            return Task.CompletedTask;
        }

        public Task LogoutAsync(HttpContext context)
        {
            Secure(context);
            sessions.Close(context.Request.Cookies[DashboardSessions.CookieName]);
            context.Response.Cookies.Delete(DashboardSessions.CookieName, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = options.SecureCookie });
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = "/login";
            return Task.CompletedTask;
        }

        public Task IndexAsync(HttpContext context) =>
            HtmlAsync(context, DashboardHtml.Index(views.Jobs(), views.Consortia(), views.Ledger()));

        public Task IndexLiveAsync(HttpContext context) =>
            HtmlAsync(context, DashboardHtml.IndexLive(views.Jobs(), views.Consortia(), views.Ledger()));

        public Task JobAsync(HttpContext context) =>
            Detail(context) is { } job ? HtmlAsync(context, DashboardHtml.Job(job)) : NotFoundAsync(context);

        public Task LiveAsync(HttpContext context) =>
            Detail(context) is { } job ? HtmlAsync(context, DashboardHtml.Live(job)) : NotFoundAsync(context);

        public Task ChartAsync(HttpContext context)
        {
            if (Detail(context) is not { } job || DashboardCharts.Render(job, (string)context.Request.RouteValues["chart"]!) is not { } svg)
            {
                return NotFoundAsync(context);
            }

            context.Response.ContentType = "image/svg+xml; charset=utf-8";
            return context.Response.WriteAsync(svg, context.RequestAborted);
        }

        public Task JobJsonAsync(HttpContext context) =>
            Detail(context) is { } job ? JsonAsync(context, job) : NotFoundJsonAsync(context);

        public Task RoundsJsonAsync(HttpContext context)
        {
            string id = Id(context);
            if (options.Jobs.FindJob(id) is null)
            {
                return NotFoundJsonAsync(context);
            }

            int after = int.TryParse(context.Request.Query["after"], NumberStyles.None, CultureInfo.InvariantCulture, out int a) ? a : 0;
            return JsonAsync(context, views.Rounds(id, after));
        }

        /// <summary>
        /// Server-sent events: every committed round (after <c>Last-Event-ID</c> or <c>?after=</c>, else from round 1)
        /// as <c>round</c>, the job's summary as <c>job</c> whenever it changes, and <c>end</c> once the job is final and
        /// every round was sent. The store is looked at every <see cref="DashboardOptions.PollInterval"/>: that works
        /// for every store (in memory, SQLite, PostgreSQL) and for rounds committed by another process.
        /// </summary>
        public async Task EventsAsync(HttpContext context)
        {
            string id = Id(context);
            if (options.Jobs.FindJob(id) is null)
            {
                await NotFoundJsonAsync(context);
                return;
            }

            string? resume = context.Request.Headers["Last-Event-ID"];
            resume ??= context.Request.Query["after"];
            int after = int.TryParse(resume, NumberStyles.None, CultureInfo.InvariantCulture, out int a) ? a : 0;
            StartEventStream(context);
            string? sent = null;
            using PeriodicTimer timer = new(options.PollInterval, options.Time);
            using CancellationTokenSource open = StreamLifetime(context);
            try
            {
                await context.Response.WriteAsync("retry: 2000\n\n", context.RequestAborted);
                while (true)
                {
                    // The job first, then its rounds: a job seen final is followed by all of its rounds.
                    JobRecord job = options.Jobs.GetJob(id);
                    foreach (RoundView round in views.Rounds(id, after))
                    {
                        await WriteEventAsync(context, "round", JsonSerializer.Serialize(round, Json), round.Round.ToString(CultureInfo.InvariantCulture));
                        after = round.Round;
                    }

                    string summary = JsonSerializer.Serialize(views.Summary(job), Json);
                    if (!string.Equals(summary, sent, StringComparison.Ordinal))
                    {
                        await WriteEventAsync(context, "job", summary, null);
                        sent = summary;
                    }

                    if (job.IsFinal && after >= job.RoundsCompleted)
                    {
                        await WriteEventAsync(context, "end", summary, null);
                        return;
                    }

                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await timer.WaitForNextTickAsync(open.Token);
                }
            }
            catch (OperationCanceledException) when (open.IsCancellationRequested)
            {
                // The browser left, or the server is stopping.
            }
        }

        /// <summary>
        /// Server-sent events for the job list: every job as <c>job</c> (its summary; the id is the newest <c>updated_at</c>
        /// sent so far, in Unix milliseconds) — all of them on connecting, or after <c>Last-Event-ID</c> / <c>?after=</c>
        /// only those updated since (less <see cref="ResumeOverlap"/>) — then one whenever a job is added or its summary
        /// changes; then <c>consortia</c> and <c>ledger</c> on connecting and, on a look that found a changed job, if they changed.
        /// The stream never ends by itself.
        /// </summary>
        /// <remarks>
        /// Changes are found by comparing the store's job records with those this stream sent, so the summaries (whose
        /// consortium may need a roster read) are built only for jobs that changed. The consortia and ledger documents can
        /// be costly to read (rosters, a whole ledger file for <c>simulate --out</c>), so they are read again only when a
        /// job changed: in practice a new job, a round or a state change is what moves a ledger head or a consortium's count.
        /// </remarks>
        public async Task JobListEventsAsync(HttpContext context)
        {
            string? resume = context.Request.Headers["Last-Event-ID"];
            resume ??= context.Request.Query["after"];
            long cursor = long.TryParse(resume, NumberStyles.None, CultureInfo.InvariantCulture, out long c) ? c : 0;
            Dictionary<string, JobRecord> sent = new(StringComparer.Ordinal);
            if (cursor > 0)
            {
                long seen = cursor - (long)ResumeOverlap.TotalMilliseconds;
                foreach (JobRecord job in options.Jobs.ListJobs().Where(j => j.UpdatedAt.ToUnixTimeMilliseconds() < seen))
                {
                    sent[job.Id] = job; // the client had these: only what changed since is sent
                }
            }

            StartEventStream(context);
            string? consortiaSent = null, ledgerSent = null;
            bool first = true;
            using PeriodicTimer timer = new(options.PollInterval, options.Time);
            using CancellationTokenSource open = StreamLifetime(context);
            try
            {
                await context.Response.WriteAsync("retry: 2000\n\n", context.RequestAborted);
                while (true)
                {
                    // Oldest change first, so the ids a client sees never go down (a stable sort: ties in list order).
                    JobRecord[] changed = [.. options.Jobs.ListJobs()
                        .Where(j => !sent.TryGetValue(j.Id, out JobRecord? before) || before != j)
                        .OrderBy(j => j.UpdatedAt)];
                    foreach (JobRecord job in changed)
                    {
                        cursor = Math.Max(cursor, job.UpdatedAt.ToUnixTimeMilliseconds());
                        await WriteEventAsync(context, "job", JsonSerializer.Serialize(views.Summary(job), Json), cursor.ToString(CultureInfo.InvariantCulture));
                        sent[job.Id] = job;
                    }

                    if (first || changed.Length > 0)
                    {
                        consortiaSent = await WriteIfChangedAsync(context, "consortia", views.Consortia(), consortiaSent);
                        ledgerSent = await WriteIfChangedAsync(context, "ledger", views.Ledger(), ledgerSent);
                        first = false;
                    }

                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await timer.WaitForNextTickAsync(open.Token);
                }
            }
            catch (OperationCanceledException) when (open.IsCancellationRequested)
            {
                // The browser left, or the server is stopping.
            }
        }

        /// <summary>
        /// Cancelled when the client leaves or the server begins to stop: a server waits for open requests before it
        /// stops, so a stream that outlived the stop would hold it for the whole shutdown timeout.
        /// </summary>
        private static CancellationTokenSource StreamLifetime(HttpContext context)
        {
            CancellationToken stopping = context.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
            return CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        }

        private static async Task<string> WriteIfChangedAsync<T>(HttpContext context, string name, T document, string? sent)
        {
            string data = JsonSerializer.Serialize(document, Json);
            if (!string.Equals(data, sent, StringComparison.Ordinal))
            {
                await WriteEventAsync(context, name, data, null);
            }

            return data;
        }

        private static void StartEventStream(HttpContext context)
        {
            context.Response.ContentType = "text/event-stream; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers["X-Accel-Buffering"] = "no"; // a reverse proxy must not hold events back
        }

        private static async Task WriteEventAsync(HttpContext context, string name, string data, string? id)
        {
            StringBuilder message = new();
            if (id is not null)
            {
                message.Append("id: ").Append(id).Append('\n');
            }

            // JSON from the serialiser has no raw newline, so the data is one line.
            message.Append("event: ").Append(name).Append('\n').Append("data: ").Append(data).Append("\n\n");
            await context.Response.WriteAsync(message.ToString(), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        public static Task JsonAsync<T>(HttpContext context, T value)
        {
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.WriteAsJsonAsync(value, Json, context.RequestAborted);
        }

        private JobDetailView? Detail(HttpContext context) => views.Detail(Id(context));

        private static string Id(HttpContext context) => (string)context.Request.RouteValues["id"]!; // the route template has {id}

        private static Task HtmlAsync(HttpContext context, string html)
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.WriteAsync(html, context.RequestAborted);
        }

        private static Task NotFoundAsync(HttpContext context)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return HtmlAsync(context, DashboardHtml.NotFound());
        }

        private static Task NotFoundJsonAsync(HttpContext context)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return context.Response.WriteAsJsonAsync(new { error = $"there is no job {Id(context)}" }, Json, context.RequestAborted);
        }

        private static void Secure(HttpContext context)
        {
            IHeaderDictionary headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
        }

        /// <summary>How long the peer's address is still locked out (logged), or <see langword="null"/>.</summary>
        private TimeSpan? Throttled(HttpContext context)
        {
            TimeSpan? wait = throttle.RetryAfter(context.Connection.RemoteIpAddress);
            if (wait is { } locked)
            {
                LogThrottled(log, context.Request.Method, context.Request.Path, Peer(context), RetrySeconds(locked));
            }

            return wait;
        }

        /// <summary>Counts a failed credential against the peer's address, and logs the lockout it may start.</summary>
        private void Fail(HttpContext context)
        {
            if (context.Connection.RemoteIpAddress is { } address && throttle.Fail(address) is { } locked)
            {
                LogLockedOut(log, address, RetrySeconds(locked), options.LoginFailureLimit, options.LoginFailureWindow);
            }
        }

        private static void TooMany(HttpContext context, TimeSpan wait)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = RetrySeconds(wait).ToString(CultureInfo.InvariantCulture);
        }

        private static Task TooManyPageAsync(HttpContext context, TimeSpan wait)
        {
            TooMany(context, wait);
            return HtmlAsync(context, DashboardHtml.Login($"Too many failed logins from your address: try again in {RetrySeconds(wait)} s."));
        }

        /// <summary>Whole seconds, rounded up, never 0 (Retry-After: 0 would invite an immediate retry that is still refused).</summary>
        private static int RetrySeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

        private static string Peer(HttpContext context) =>
            context.Connection.RemoteIpAddress is { } address ? $"{address}:{context.Connection.RemotePort}" : "unknown";
    }
}
