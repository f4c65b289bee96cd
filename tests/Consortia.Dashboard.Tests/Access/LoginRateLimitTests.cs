using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Dashboard.Tests.Access;

/// <summary>
/// Failed logins and wrong bearer tokens are limited per peer address (default: 5 in a minute, then 429 until the
/// window has passed), on the dashboard's injected clock: a fake one here, advanced by the tests.
/// </summary>
[Trait("Category", "Network")]
public sealed class LoginRateLimitTests
{
    private static readonly IPAddress s_otherPeer = IPAddress.Parse("127.0.0.2");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FiveWrongLogins_Then429WithRetryAfter_EvenForTheRightToken_UntilTheWindowHasPassed()
    {
        FakeTimeProvider time = NewClock();
        await using DashboardHost host = await DashboardHost.StartAsync(time: time);
        HttpStatusCode[] failures = [.. await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => LoginAsync(host.Client, "guess")))];
        time.Advance(TimeSpan.FromSeconds(10));

        using HttpResponseMessage locked = await PostLoginAsync(host.Client, DashboardHost.Token);
        time.Advance(TimeSpan.FromSeconds(49)); // 59 s after the first failure
        using HttpResponseMessage stillLocked = await PostLoginAsync(host.Client, DashboardHost.Token);
        time.Advance(TimeSpan.FromSeconds(1)); // the window has passed
        using HttpResponseMessage open = await PostLoginAsync(host.Client, DashboardHost.Token);

        Assert.All(failures, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(50), locked.Headers.RetryAfter?.Delta);
        Assert.False(locked.Headers.Contains("Set-Cookie"));
        Assert.Contains("Too many failed logins", await locked.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, stillLocked.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), stillLocked.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.SeeOther, open.StatusCode);
        Assert.Contains(open.Headers.GetValues("Set-Cookie"), c => c.StartsWith("consortia_dashboard=", StringComparison.Ordinal));
        Assert.Single(host.Log.Lines, l => l.Level == LogLevel.Warning && l.Message.StartsWith("dashboard: locked out 127.0.0.1 for 60 s", StringComparison.Ordinal));
        Assert.Equal(2, host.Log.Lines.Count(l => l.Level == LogLevel.Warning && l.Message.Contains("from 127.0.0.1", StringComparison.Ordinal) && l.Message.Contains("with 429", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task FourWrongLogins_AreNotALockout_AndFailuresOfAnEndedWindowDoNotCount()
    {
        FakeTimeProvider time = NewClock();
        await using DashboardHost host = await DashboardHost.StartAsync(time: time);
        List<HttpStatusCode> statuses = [];
        for (int i = 0; i < 4; i++)
        {
            statuses.Add(await LoginAsync(host.Client, "guess"));
        }

        time.Advance(TimeSpan.FromMinutes(1));
        for (int i = 0; i < 4; i++)
        {
            statuses.Add(await LoginAsync(host.Client, "guess"));
        }

        HttpStatusCode right = await LoginAsync(host.Client, DashboardHost.Token);

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.SeeOther, right);
        Assert.DoesNotContain(host.Log.Lines, l => l.Message.Contains("locked out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WrongBearerTokens_CountToo_AndLockTheAddressOutOfApiAndLogin_ButNotItsOpenSession()
    {
        FakeTimeProvider time = NewClock();
        await using DashboardHost host = await DashboardHost.StartAsync(time: time);
        using HttpResponseMessage login = await PostLoginAsync(host.Client, DashboardHost.Token);
        string cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        List<HttpStatusCode> wrong = [];
        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage response = await host.Client.SendAsync(DashboardEndpointsTests.Get("/api/jobs", "not-the-token"), Ct);
            wrong.Add(response.StatusCode);
        }

        using HttpResponseMessage api = await host.Client.SendAsync(DashboardEndpointsTests.Get("/api/jobs", DashboardHost.Token), Ct);
        using HttpResponseMessage page = await host.Client.SendAsync(DashboardEndpointsTests.Get("/", DashboardHost.Token), Ct);
        HttpStatusCode relogin = await LoginAsync(host.Client, DashboardHost.Token);
        using HttpRequestMessage withSession = new(HttpMethod.Get, "/api/jobs");
        withSession.Headers.Add("Cookie", cookie);
        using HttpResponseMessage session = await host.Client.SendAsync(withSession, Ct);
        time.Advance(TimeSpan.FromMinutes(1));
        using HttpResponseMessage after = await host.Client.SendAsync(DashboardEndpointsTests.Get("/api/jobs", DashboardHost.Token), Ct);

        Assert.All(wrong, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, api.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(60), api.Headers.RetryAfter?.Delta);
        using (JsonDocument error = JsonDocument.Parse(await api.Content.ReadAsStringAsync(Ct)))
        {
            Assert.Contains("retry after 60 s", error.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, page.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, relogin);
        Assert.Equal(HttpStatusCode.OK, session.StatusCode); // a session cookie is no guess at the token
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task ALockedOutAddress_LeavesOtherAddressesAlone()
    {
        FakeTimeProvider time = NewClock();
        await using DashboardHost host = await DashboardHost.StartAsync(time: time);
        using HttpClient other = host.ClientFrom(s_otherPeer);
        for (int i = 0; i < 5; i++)
        {
            await LoginAsync(host.Client, "guess");
        }

        HttpStatusCode locked = await LoginAsync(host.Client, DashboardHost.Token);
        HttpStatusCode otherWrong = await LoginAsync(other, "guess");
        HttpStatusCode otherRight = await LoginAsync(other, DashboardHost.Token);

        Assert.Equal(HttpStatusCode.TooManyRequests, locked);
        Assert.Equal(HttpStatusCode.Unauthorized, otherWrong);
        Assert.Equal(HttpStatusCode.SeeOther, otherRight);
        Assert.Contains(host.Log.Lines, l => l.Message.Contains("refused login from 127.0.0.2:", StringComparison.Ordinal)); // the peer is really the other address
    }

    private static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));

    private static async Task<HttpStatusCode> LoginAsync(HttpClient client, string token)
    {
        using HttpResponseMessage response = await PostLoginAsync(client, token);
        return response.StatusCode;
    }

    private static Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string token) =>
        client.PostAsync("/login", new FormUrlEncodedContent([new("token", token)]), Ct);
}
