using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Learning.Metrics;
using Microsoft.Extensions.Logging;

namespace Consortia.Dashboard.Tests;

[Trait("Category", "Network")]
public sealed partial class DashboardEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/api/jobs")]
    [InlineData("/api/jobs/1")]
    [InlineData("/api/jobs/1/events")]
    [InlineData("/api/jobs/events")]
    [InlineData("/api/consortia")]
    [InlineData("/api/ledger")]
    public async Task Api_WithoutCredential_Is401(string path)
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        host.StartJob();

        using HttpResponseMessage response = await host.Client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/live")]
    [InlineData("/jobs/1")]
    [InlineData("/jobs/1/live")]
    [InlineData("/jobs/1/charts/loss.svg")]
    public async Task Page_WithoutSession_RedirectsToLogin(string path)
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        host.StartJob();

        using HttpResponseMessage response = await host.Client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Api_WrongBearerToken_Is401AndLogged()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();

        using HttpResponseMessage response = await host.Client.SendAsync(Get("/api/jobs", "not-the-token"), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(host.Log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("wrong admin token", StringComparison.Ordinal) && l.Message.Contains("/api/jobs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Api_RightBearerToken_ReturnsTheJobs()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob();
        host.Commit(id, 1);

        using HttpResponseMessage response = await host.Client.SendAsync(Get("/api/jobs", DashboardHost.Token), Ct);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement job = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(id, job.GetProperty("id").GetString());
        Assert.Equal("running", job.GetProperty("state").GetString());
        Assert.Equal(1, job.GetProperty("rounds_completed").GetInt32());
        Assert.Equal("heart-consortium", job.GetProperty("consortium").GetString());
    }

    [Fact]
    public async Task Login_WrongToken_Is401_Logged_AndSetsNoCookie()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();

        using HttpResponseMessage response = await host.Client.PostAsync("/login", new FormUrlEncodedContent([new("token", "guess")]), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Contains(host.Log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("refused login", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Login_RightToken_GivesAnHttpOnlyStrictSessionCookie_ThatIsNotTheToken_AndOpensPagesAndApi()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob();

        using HttpResponseMessage login = await host.Client.PostAsync("/login", new FormUrlEncodedContent([new("token", DashboardHost.Token)]), Ct);
        string setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        string cookie = setCookie.Split(';')[0];
        using HttpRequestMessage page = new(HttpMethod.Get, $"/jobs/{id}");
        page.Headers.Add("Cookie", cookie);
        using HttpResponseMessage pageResponse = await host.Client.SendAsync(page, Ct);
        using HttpRequestMessage api = new(HttpMethod.Get, "/api/jobs");
        api.Headers.Add("Cookie", cookie);
        using HttpResponseMessage apiResponse = await host.Client.SendAsync(api, Ct);

        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        Assert.Equal("/", login.Headers.Location?.OriginalString);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(DashboardHost.Token, setCookie, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, pageResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, apiResponse.StatusCode);
    }

    [Fact]
    public async Task Logout_EndsTheSession()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        using HttpResponseMessage login = await host.Client.PostAsync("/login", new FormUrlEncodedContent([new("token", DashboardHost.Token)]), Ct);
        string cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using HttpRequestMessage logout = new(HttpMethod.Post, "/logout");
        logout.Headers.Add("Cookie", cookie);
        (await host.Client.SendAsync(logout, Ct)).Dispose();

        using HttpRequestMessage after = new(HttpMethod.Get, "/api/jobs");
        after.Headers.Add("Cookie", cookie);
        using HttpResponseMessage response = await host.Client.SendAsync(after, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task TokenLink_NotAllowed_IsRefusedAndLogged()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(allowTokenLink: false);

        using HttpResponseMessage response = await host.Client.GetAsync($"/login?token={DashboardHost.Token}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Contains(host.Log.Lines, l => l.Message.Contains("token in a link", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TokenLink_Allowed_LogsInAndRedirectsAwayFromTheToken()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(allowTokenLink: true);

        using HttpResponseMessage right = await host.Client.GetAsync($"/login?token={DashboardHost.Token}", Ct);
        using HttpResponseMessage wrong = await host.Client.GetAsync("/login?token=guess", Ct);

        Assert.Equal(HttpStatusCode.SeeOther, right.StatusCode);
        Assert.Equal("/", right.Headers.Location?.OriginalString);
        Assert.Contains(right.Headers.GetValues("Set-Cookie"), c => c.StartsWith("consortia_dashboard=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task ApiJob_EqualsTheStoresRounds()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob();
        host.Commit(id, 1);
        host.Commit(id, 2);
        IReadOnlyList<StoredRound> stored = host.Store.GetRounds(id);

        using JsonDocument json = await GetJsonAsync(host, $"/api/jobs/{id}");

        JsonElement rounds = json.RootElement.GetProperty("rounds");
        Assert.Equal(stored.Count, rounds.GetArrayLength());
        for (int i = 0; i < stored.Count; i++)
        {
            var report = stored[i].Report;
            JsonElement r = rounds[i];
            Assert.Equal(report.Round.Value, r.GetProperty("round").GetInt32());
            Assert.Equal(report.Contributors.Select(s => s.Value), r.GetProperty("contributors").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(report.Refusals.Select(x => (x.Site.Value, x.Rule)), r.GetProperty("refusals").EnumerateArray().Select(e => (e.GetProperty("site").GetString()!, e.GetProperty("rule").GetString()!)));
            Assert.Equal(["d:missed"], r.GetProperty("failures").EnumerateArray().Select(e => $"{e.GetProperty("site").GetString()}:{e.GetProperty("kind").GetString()}"));
            Assert.Equal(report.TrainLoss, r.GetProperty("train_loss").GetDouble());
            Assert.Equal(report.UpdateHashes.Select(h => h.Value), r.GetProperty("update_hashes").EnumerateArray().Select(e => e.GetProperty("sha256").GetString()));
            JsonElement evaluation = r.GetProperty("evaluation");
            Assert.Equal(report.Evaluation!.Weighted.Select(m => (m.Kind.ReportName(), m.Value)), evaluation.GetProperty("weighted").EnumerateArray().Select(e => (e.GetProperty("metric").GetString()!, e.GetProperty("value").GetDouble())));
            foreach (EvaluationReport site in report.Evaluation.Sites)
            {
                JsonElement s = evaluation.GetProperty("sites").EnumerateArray().Single(e => e.GetProperty("site").GetString() == site.Site.Value);
                Assert.Equal(site.Examples, s.GetProperty("examples").GetInt32());
                for (int m = 0; m < site.Metrics.Count; m++)
                {
                    JsonElement value = s.GetProperty("metrics")[m].GetProperty("value");
                    if (double.IsFinite(site.Metrics[m].Value))
                    {
                        Assert.Equal(site.Metrics[m].Value, value.GetDouble());
                    }
                    else
                    {
                        Assert.Equal(JsonValueKind.Null, value.ValueKind); // NaN has no JSON form
                    }
                }
            }

            Assert.Equal(report.Privacy.Select(p => (p.Site.Value, p.Epsilon)), r.GetProperty("privacy").EnumerateArray().Select(e => (e.GetProperty("site").GetString()!, e.GetProperty("epsilon").GetDouble())));
        }

        // The job's privacy is each site's latest report: round 2's figures.
        JsonElement privacy = json.RootElement.GetProperty("privacy");
        Assert.Equal([("a", 0.6, 1.6, 8.0)], privacy.EnumerateArray().Where(p => p.GetProperty("lifetime_budget").ValueKind != JsonValueKind.Null)
            .Select(p => (p.GetProperty("site").GetString()!, p.GetProperty("epsilon").GetDouble(), p.GetProperty("lifetime_epsilon").GetDouble(), p.GetProperty("lifetime_budget").GetDouble())));
        JsonElement protections = json.RootElement.GetProperty("protections");
        Assert.True(protections.GetProperty("secure_aggregation").GetProperty("enabled").GetBoolean());
        Assert.Equal("fedavg", protections.GetProperty("strategy").GetString());
        Assert.Equal("ffee00", json.RootElement.GetProperty("ledger").GetProperty("hash").GetString());
        Assert.Equal(42, json.RootElement.GetProperty("ledger").GetProperty("length").GetInt64());
    }

    [Fact]
    public async Task ApiJob_WithoutAReadableDefinition_HasItsRounds_AndSaysWhyProtectionsAreMissing()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.Store.SubmitJob(new JobSubmission("built-in-code", "bob", "name: built-in-code\n", 1)).Id;
        host.Store.MarkRunning(id, DashboardHost.Model(0), new Federation.Strategies.FedOpt.FedOptState([0f], [0f]));
        host.Commit(id, 1);

        using JsonDocument json = await GetJsonAsync(host, $"/api/jobs/{id}");
        using HttpResponseMessage page = await host.Client.SendAsync(Get($"/jobs/{id}", DashboardHost.Token), Ct);

        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("protections").ValueKind);
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("protections_problem").GetString()));
        Assert.Equal(1, json.RootElement.GetProperty("rounds").GetArrayLength());
        Assert.Contains("data-secure-aggregation=\"unknown\"", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiJob_UnknownJob_Is404()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();

        using HttpResponseMessage response = await host.Client.SendAsync(Get("/api/jobs/nope", DashboardHost.Token), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ApiConsortiaAndLedger_ReturnTheSources()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        host.StartJob();

        using JsonDocument consortia = await GetJsonAsync(host, "/api/consortia");
        using JsonDocument ledger = await GetJsonAsync(host, "/api/ledger");

        JsonElement c = Assert.Single(consortia.RootElement.EnumerateArray());
        Assert.Equal("heart-consortium", c.GetProperty("name").GetString());
        Assert.Equal(["a", "b", "c"], c.GetProperty("members").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, c.GetProperty("jobs").GetInt32());
        Assert.Equal(7, c.GetProperty("ledger").GetProperty("length").GetInt64());
        Assert.Equal("ffee00", ledger.RootElement.GetProperty("head").GetProperty("hash").GetString());
    }

    [Fact]
    public async Task Events_DeliverEachRoundAsTheStoreCommitsIt_ThenEnd()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob(rounds: 2);
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using HttpResponseMessage response = await host.Client.SendAsync(Get($"/api/jobs/{id}/events", DashboardHost.Token), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using StreamReader events = new(await response.Content.ReadAsStreamAsync(timeout.Token));

        (string Name, string Data, string? Id) first = await ServerSentEvents.NextAsync(events, timeout.Token);
        host.Commit(id, 1);
        (string Name, string Data, string? Id) round1 = await ServerSentEvents.NextOfAsync(events, "round", timeout.Token);
        host.Commit(id, 2);
        (string Name, string Data, string? Id) round2 = await ServerSentEvents.NextOfAsync(events, "round", timeout.Token);
        host.Store.MarkCompleted(id);
        (string Name, string Data, string? Id) end = await ServerSentEvents.NextOfAsync(events, "end", timeout.Token);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("job", first.Name);
        Assert.Equal("1", round1.Id);
        Assert.Equal(1, JsonDocument.Parse(round1.Data).RootElement.GetProperty("round").GetInt32());
        Assert.Equal("2", round2.Id);
        Assert.Equal(["a", "b"], JsonDocument.Parse(round2.Data).RootElement.GetProperty("contributors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("completed", JsonDocument.Parse(end.Data).RootElement.GetProperty("state").GetString());
        Assert.Null(await events.ReadLineAsync(timeout.Token)); // the stream ends after `end`
    }

    [Fact]
    public async Task Events_AfterLastEventId_ReplayOnlyLaterRounds()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob(rounds: 2);
        host.Commit(id, 1);
        host.Commit(id, 2);
        host.Store.MarkCompleted(id);
        using HttpRequestMessage request = Get($"/api/jobs/{id}/events", DashboardHost.Token);
        request.Headers.Add("Last-Event-ID", "1");

        using HttpResponseMessage response = await host.Client.SendAsync(request, Ct);
        string body = await response.Content.ReadAsStringAsync(Ct);

        Assert.DoesNotContain("id: 1\n", body, StringComparison.Ordinal);
        Assert.Contains("id: 2\nevent: round\n", body, StringComparison.Ordinal);
        Assert.EndsWith("event: end\ndata: " + JsonDocument.Parse(body.Split("event: end\ndata: ")[1].Trim()).RootElement.GetRawText() + "\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobPage_ShowsExactlyTheApisNumbers()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob();
        host.Commit(id, 1);
        host.Commit(id, 2);

        using JsonDocument json = await GetJsonAsync(host, $"/api/jobs/{id}");
        using HttpResponseMessage page = await host.Client.SendAsync(Get($"/jobs/{id}", DashboardHost.Token), Ct);
        string html = await page.Content.ReadAsStringAsync(Ct);

        JsonElement last = json.RootElement.GetProperty("rounds")[1];
        Assert.Contains("id=\"round-counter\" data-rounds-completed=\"2\" data-total-rounds=\"3\">2 / 3<", html, StringComparison.Ordinal);
        foreach (JsonElement site in last.GetProperty("evaluation").GetProperty("sites").EnumerateArray())
        {
            string row = Row(html, "site-metrics", site.GetProperty("site").GetString()!);
            foreach (JsonElement metric in site.GetProperty("metrics").EnumerateArray())
            {
                string shown = metric.GetProperty("value").ValueKind == JsonValueKind.Null ? "—" : metric.GetProperty("value").GetRawText();
                Assert.Contains($"data-metric=\"{metric.GetProperty("metric").GetString()}\" data-value=\"{(shown == "—" ? "" : shown)}\">{shown}</td>", row, StringComparison.Ordinal);
            }
        }

        foreach (JsonElement p in json.RootElement.GetProperty("privacy").EnumerateArray())
        {
            string row = Row(html, "privacy-table", p.GetProperty("site").GetString()!);
            foreach (string field in (string[])["epsilon", "round_epsilon", "delta", "lifetime_epsilon", "lifetime_budget"])
            {
                // Compact in the text (the table fits 1280 px), exact in data-value and title.
                JsonElement value = p.GetProperty(field);
                string exact = value.ValueKind == JsonValueKind.Null ? "" : value.GetRawText();
                string shown = value.ValueKind == JsonValueKind.Null ? "—" : value.GetDouble().ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
                Assert.Contains($"data-field=\"{field}\" data-value=\"{exact}\" title=\"{exact}\">{shown}</td>", row, StringComparison.Ordinal);
            }
        }

        Assert.Contains("data-field=\"round_epsilon\" data-value=\"0.3333333333333333\" title=\"0.3333333333333333\">0.3333</td>", html, StringComparison.Ordinal);

        Assert.Contains("id=\"ledger\" data-ledger-hash=\"ffee00\" data-ledger-length=\"42\"", html, StringComparison.Ordinal);
        Assert.Contains("data-secure-aggregation=\"on\"", html, StringComparison.Ordinal);
        Assert.Contains("<li data-site=\"c\" data-rule=\"dp.max_epsilon\">", html, StringComparison.Ordinal);
        Assert.Contains("<li data-site=\"d\" data-kind=\"missed\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Responses_CarrySelfOnlyContentSecurityPolicy_AndPagesLoadNothingFromTheNetwork()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob();
        host.Commit(id, 1);

        using HttpResponseMessage page = await host.Client.SendAsync(Get($"/jobs/{id}", DashboardHost.Token), Ct);
        string html = await page.Content.ReadAsStringAsync(Ct);
        using HttpResponseMessage script = await host.Client.GetAsync("/assets/dashboard.js", Ct);
        using HttpResponseMessage login = await host.Client.GetAsync("/login", Ct);

        string csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("EventSource", await script.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.True(login.Headers.Contains("Content-Security-Policy"));
        // No external URL and no inline script or style attribute (the policy would block them).
        Assert.DoesNotMatch(ExternalUrl(), html);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST", "/api/jobs")]
    [InlineData("PUT", "/api/jobs/{id}")]
    [InlineData("DELETE", "/api/jobs/{id}")]
    [InlineData("POST", "/api/jobs/{id}/cancel")]
    public async Task Api_ChangingVerbs_AreNotServed(string method, string path)
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob();
        using HttpRequestMessage request = new(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DashboardHost.Token);

        using HttpResponseMessage response = await host.Client.SendAsync(request, Ct);

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.MethodNotAllowed, HttpStatusCode.NotFound });
        Assert.Equal(JobState.Running, host.Store.GetJob(id).State);
    }

    [Fact]
    public async Task ChartEndpoint_IsWellFormedSvg_WithOneSeriesPerSiteAndGlobal()
    {
        await using DashboardHost host = await DashboardHost.StartAsync();
        string id = host.StartJob();
        host.Commit(id, 1);
        host.Commit(id, 2);

        using HttpResponseMessage response = await host.Client.SendAsync(Get($"/jobs/{id}/charts/accuracy.svg", DashboardHost.Token), Ct);
        XDocument svg = XDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        XNamespace ns = svg.Root!.Name.Namespace;
        Assert.Equal(3, svg.Descendants(ns + "polyline").Count());
        string[] texts = [.. svg.Descendants(ns + "text").Select(t => t.Value)];
        Assert.Contains("a", texts);
        Assert.Contains("b", texts);
        Assert.Contains("global (weighted)", texts);
    }

    internal static HttpRequestMessage Get(string path, string token)
    {
        HttpRequestMessage request = new(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static async Task<JsonDocument> GetJsonAsync(DashboardHost host, string path)
    {
        using HttpResponseMessage response = await host.Client.SendAsync(Get(path, DashboardHost.Token), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>The <c>&lt;tr data-site="site"&gt;</c> row of the table with <paramref name="tableId"/>.</summary>
    private static string Row(string html, string tableId, string site)
    {
        int table = html.IndexOf($"id=\"{tableId}\"", StringComparison.Ordinal);
        Assert.True(table >= 0, $"no table {tableId}");
        int start = html.IndexOf($"<tr data-site=\"{site}\">", table, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no row for {site} in {tableId}");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    [GeneratedRegex("(src|href)=\"(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalUrl();
}
