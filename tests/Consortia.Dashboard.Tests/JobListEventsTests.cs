using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Consortia.Federation.Jobs.Store;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Dashboard.Tests;

/// <summary>The live job list: <c>/api/jobs/events</c>, the index page's hooks and its live part <c>/live</c>.</summary>
[Trait("Category", "Network")]
public sealed class JobListEventsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task JobListEvents_DeliverAJobWhenItIsAdded_WhenItCommitsARound_AndWhenItEnds()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        using CancellationTokenSource timeout = Timeout();
        using HttpResponseMessage response = await host.Client.SendAsync(DashboardEndpointsTests.Get("/api/jobs/events", DashboardHost.Token), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using StreamReader events = new(await response.Content.ReadAsStreamAsync(timeout.Token));

        // No job yet: the stream opens with the consortia and the ledger head.
        (string Name, string Data, string? Id) consortia = await ServerSentEvents.NextAsync(events, timeout.Token);
        (string Name, string Data, string? Id) ledger = await ServerSentEvents.NextAsync(events, timeout.Token);
        string id = host.StartJob(rounds: 1);
        JsonElement added = await NextJobAsync(events, id, j => true, timeout.Token);
        (string Name, string Data, string? Id) recounted = await ServerSentEvents.NextOfAsync(events, "consortia", timeout.Token);
        host.Commit(id, 1);
        JsonElement committed = await NextJobAsync(events, id, j => j.GetProperty("rounds_completed").GetInt32() == 1, timeout.Token);
        host.Store.MarkCompleted(id);
        JsonElement completed = await NextJobAsync(events, id, j => j.GetProperty("state").GetString() == "completed", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(("consortia", 0), (consortia.Name, JsonDocument.Parse(consortia.Data).RootElement[0].GetProperty("jobs").GetInt32()));
        Assert.Equal(("ledger", "ffee00"), (ledger.Name, JsonDocument.Parse(ledger.Data).RootElement.GetProperty("head").GetProperty("hash").GetString()));
        Assert.Equal("heart", added.GetProperty("name").GetString());
        Assert.Equal(1, JsonDocument.Parse(recounted.Data).RootElement[0].GetProperty("jobs").GetInt32()); // the consortium's job count moved
        Assert.Equal("running", committed.GetProperty("state").GetString());
        Assert.Equal(1, completed.GetProperty("rounds_completed").GetInt32());
    }

    [Fact]
    public async Task JobListEvents_IdsAreTheNewestUpdateTime_AndNeverGoDown()
    {
        FakeTimeProvider storeTime = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        await using DashboardHost host = await DashboardHost.StartAsync(storeTime: storeTime);
        string first = Submit(host, "first");
        storeTime.Advance(TimeSpan.FromSeconds(30));
        string second = Submit(host, "second");
        storeTime.Advance(TimeSpan.FromSeconds(30));
        host.Store.MarkFailed(first, "test: a change to the older job, later");

        List<(string Name, string Data, string? Id)> initial = await InitialEventsAsync(host, null);

        (string Name, string Data, string? Id)[] jobs = [.. initial.Where(e => e.Name == "job")];
        // Oldest change first: the second job (t0+30 s), then the first (failed at t0+60 s).
        Assert.Equal([second, first], jobs.Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("id").GetString()));
        Assert.Equal([Ms(host, second), Ms(host, first)], jobs.Select(e => long.Parse(e.Id!, CultureInfo.InvariantCulture)));
        Assert.Equal(["job", "job", "consortia", "ledger"], initial.Select(e => e.Name));
    }

    [Fact]
    public async Task JobListEvents_AfterLastEventId_SendOnlyTheJobsUpdatedSince()
    {
        FakeTimeProvider storeTime = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        await using DashboardHost host = await DashboardHost.StartAsync(storeTime: storeTime);
        string old = Submit(host, "old");
        storeTime.Advance(TimeSpan.FromMinutes(1)); // well beyond the resume overlap
        string recent = Submit(host, "recent");

        List<(string Name, string Data, string? Id)> resumed = await InitialEventsAsync(host, Ms(host, recent).ToString(CultureInfo.InvariantCulture));
        List<(string Name, string Data, string? Id)> byQuery = await InitialEventsAsync(host, null, $"?after={Ms(host, old)}");

        Assert.Equal([recent], JobIds(resumed));
        Assert.Equal([old, recent], JobIds(byQuery)); // a job updated at the cursor is sent again (at least once)
    }

    [Fact]
    public async Task JobListEvents_OpenWithTheSessionCookie_AndNotWithAWrongToken()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        using HttpResponseMessage login = await host.Client.PostAsync("/login", new FormUrlEncodedContent([new("token", DashboardHost.Token)]), Ct);
        string cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using CancellationTokenSource timeout = Timeout();
        using HttpRequestMessage withCookie = new(HttpMethod.Get, "/api/jobs/events");
        withCookie.Headers.Add("Cookie", cookie);

        using HttpResponseMessage opened = await host.Client.SendAsync(withCookie, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using StreamReader events = new(await opened.Content.ReadAsStreamAsync(timeout.Token));
        (string Name, string Data, string? Id) first = await ServerSentEvents.NextAsync(events, timeout.Token);
        using HttpResponseMessage wrong = await host.Client.SendAsync(DashboardEndpointsTests.Get("/api/jobs/events", "not-the-token"), timeout.Token);

        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Equal("consortia", first.Name);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task JobListEvents_EndWhenTheServerStops_SoTheStopDoesNotWaitForThem()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        using CancellationTokenSource timeout = Timeout();
        using HttpResponseMessage response = await host.Client.SendAsync(DashboardEndpointsTests.Get("/api/jobs/events", DashboardHost.Token), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using StreamReader events = new(await response.Content.ReadAsStreamAsync(timeout.Token));
        await ServerSentEvents.NextOfAsync(events, "ledger", timeout.Token);

        Stopwatch clock = Stopwatch.StartNew();
        await host.Server.DisposeAsync();
        TimeSpan stopping = clock.Elapsed;
        string rest = await events.ReadToEndAsync(timeout.Token); // returns: the server ended the stream

        // A stream left open would hold the stop for the host's whole shutdown timeout (30 s).
        Assert.True(stopping < TimeSpan.FromSeconds(10), $"the server took {stopping} to stop with a job list stream open");
        Assert.DoesNotContain("event:", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IndexPage_WatchesTheListStream_AndItsLivePartIsTheJobList()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob();
        host.Commit(id, 1);

        using HttpResponseMessage page = await host.Client.SendAsync(DashboardEndpointsTests.Get("/", DashboardHost.Token), Ct);
        string html = await page.Content.ReadAsStringAsync(Ct);
        using HttpResponseMessage live = await host.Client.SendAsync(DashboardEndpointsTests.Get("/live", DashboardHost.Token), Ct);
        string part = await live.Content.ReadAsStringAsync(Ct);

        Assert.Contains("<main id=\"index\" data-events=\"/api/jobs/events\" data-live=\"/live\" data-sse=\"connecting\">", html, StringComparison.Ordinal);
        Assert.Contains("<div id=\"index-live\">" + part + "</div>", html, StringComparison.Ordinal); // the page embeds exactly the live part
        Assert.Contains($"<tr data-job-id=\"{id}\" data-state=\"running\">", part, StringComparison.Ordinal);
        Assert.Contains("data-rounds-completed=\"1\" data-total-rounds=\"3\"", part, StringComparison.Ordinal);
        Assert.Contains("<tr data-consortium=\"heart-consortium\">", part, StringComparison.Ordinal);
        Assert.DoesNotContain("<html", part, StringComparison.Ordinal);
    }

    private static string Submit(DashboardHost host, string name) =>
        host.Store.SubmitJob(new JobSubmission(name, "alice", $"name: {name}\n", 2)).Id;

    private static long Ms(DashboardHost host, string id) => host.Store.GetJob(id).UpdatedAt.ToUnixTimeMilliseconds();

    private static string[] JobIds(List<(string Name, string Data, string? Id)> events) =>
        [.. events.Where(e => e.Name == "job").Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("id").GetString()!)];

    /// <summary>The events a new connection gets before it waits for changes: jobs, then consortia, then the ledger head (the last).</summary>
    private static async Task<List<(string Name, string Data, string? Id)>> InitialEventsAsync(DashboardHost host, string? lastEventId, string query = "")
    {
        using CancellationTokenSource timeout = Timeout();
        using HttpRequestMessage request = DashboardEndpointsTests.Get("/api/jobs/events" + query, DashboardHost.Token);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using HttpResponseMessage response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using StreamReader events = new(await response.Content.ReadAsStreamAsync(timeout.Token));
        List<(string Name, string Data, string? Id)> received = [];
        do
        {
            received.Add(await ServerSentEvents.NextAsync(events, timeout.Token));
        }
        while (received[^1].Name != "ledger");

        return received;
    }

    private static async Task<JsonElement> NextJobAsync(StreamReader events, string id, Func<JsonElement, bool> matches, CancellationToken cancellationToken)
    {
        while (true)
        {
            (string Name, string Data, string? Id) next = await ServerSentEvents.NextOfAsync(events, "job", cancellationToken);
            JsonElement job = JsonDocument.Parse(next.Data).RootElement;
            Assert.True(long.TryParse(next.Id, NumberStyles.None, CultureInfo.InvariantCulture, out _), $"a job event's id is not Unix milliseconds: {next.Id}");
            if (job.GetProperty("id").GetString() == id && matches(job))
            {
                return job;
            }
        }
    }

    private static CancellationTokenSource Timeout()
    {
        CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        return timeout;
    }
}
