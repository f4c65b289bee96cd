using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Consortia.Cli.Deployment;
using Consortia.TestKit;
using OpenQA.Selenium;

namespace Consortia.EndToEnd.Tests.Browser;

/// <summary>
/// The dashboard in a real browser: <c>consortia simulate JOB --serve 127.0.0.1:0 --pace 300ms</c> as a real process,
/// headless Chromium logged in through the printed link, the job page watched while the rounds come in over
/// server-sent events, then every number it shows compared with <c>/api/jobs/{id}</c>.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class DashboardBrowserTests
{
    private static readonly TimeSpan s_start = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_page = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Records every value the page's round counter takes: the live part of the page is replaced after each event, so
    /// a mutation observer on it sees each rendering, however fast the test polls.
    /// </summary>
    private const string RecordRounds = """
        const live = document.getElementById('job-live');
        window.consortiaRounds = [];
        const record = () => {
          const counter = document.getElementById('round-counter');
          const value = counter ? counter.getAttribute('data-rounds-completed') : null;
          const rounds = window.consortiaRounds;
          if (value !== null && rounds[rounds.length - 1] !== value) { rounds.push(value); }
        };
        record();
        new MutationObserver(record).observe(live, { childList: true, subtree: true });
        return document.getElementById('round-counter').getAttribute('data-total-rounds');
        """;

    /// <summary>Records every value the job list's round count takes (its live part is replaced after each event).</summary>
    private const string RecordListRounds = """
        const live = document.getElementById('index-live');
        window.consortiaListRounds = [];
        const record = () => {
          const cell = document.querySelector('#jobs tr[data-job-id] td[data-field="rounds"]');
          const value = cell ? cell.getAttribute('data-rounds-completed') : null;
          const rounds = window.consortiaListRounds;
          if (value !== null && rounds[rounds.length - 1] !== value) { rounds.push(value); }
        };
        record();
        new MutationObserver(record).observe(live, { childList: true, subtree: true });
        """;

    [Theory]
    [InlineData("fedavg.yaml", "dashboard")]
    [InlineData("dp-sgd.yaml", "dashboard-dp")]
    public async Task SimulateServe_JobPage_ShowsRoundsLiveAndTheApiNumbers(string jobFile, string screenshot)
    {
        CancellationToken cancel = TestContext.Current.CancellationToken;
        // The browser first: the paced run starts as soon as the process does, and the page must see it under way.
        using HeadlessChromium browser = HeadlessChromium.Start();
        await using ConsortiaProcess simulate = ConsortiaProcess.Start(
            "simulate",
            ["simulate", RepositoryPaths.Combine("examples", "heart-disease", jobFile), "--serve", "127.0.0.1:0", "--pace", "300ms"],
            RepositoryPaths.Root);
        await simulate.WaitForLineAsync(line => LoginLine().IsMatch(line), s_start, "`dashboard: http://…/login?token=…`", cancel);
        Uri login = new(LoginLine().Match(simulate.Output).Groups["url"].Value);
        Uri site = new(login.GetLeftPart(UriPartial.Authority));
        string token = Uri.UnescapeDataString(login.Query["?token=".Length..]);

        // Log in through the link: the server sets the session cookie and sends the browser to the job list, which is
        // live: the job appears, and its round count moves, without a reload.
        browser.Open(login);
        Assert.Equal(new Uri(site, "/").AbsoluteUri, browser.Driver.Url); // the token left the address bar
        browser.ExecuteScript(RecordListRounds);
        string jobPath = await browser.WaitUntilAsync(
            driver => driver.FindElements(By.CssSelector("#jobs tr[data-job-id] td[data-field='id'] a")).FirstOrDefault()?.GetDomProperty("href"),
            s_page,
            "the job in the job list after logging in",
            cancel);
        await browser.WaitUntilAsync(
            _ => ((IEnumerable<object>)browser.ExecuteScript("return window.consortiaListRounds;")!).Distinct().Count() >= 2,
            s_page,
            "the job list's round count to move without a reload",
            cancel);
        await browser.WaitUntilAsync(
            driver =>
            {
                driver.FindElement(By.CssSelector("#jobs tr[data-job-id] td[data-field='id'] a")).Click(); // the row may be re-rendered meanwhile: a stale one is tried again
                return true;
            },
            s_page,
            "a click on the job in the job list",
            cancel);
        await browser.WaitUntilAsync(driver => driver.FindElements(By.Id("round-counter")).Count == 1, s_page, "the job page", cancel);
        Assert.Equal(jobPath, browser.Driver.Url);
        // Live: the counter moves through the rounds while the page stays loaded, until the run has ended. (The page
        // replaces its live part after every event, so elements are read inside scripts or waits, which retry stale ones.)
        int total = int.Parse((string)browser.ExecuteScript(RecordRounds)!, CultureInfo.InvariantCulture);
        await browser.WaitUntilAsync(
            driver => driver.FindElement(By.Id("job-page")).GetDomAttribute("data-sse") == "closed"
                && driver.FindElement(By.Id("job-state")).GetDomAttribute("data-state") == "completed"
                && driver.FindElement(By.Id("round-counter")).GetDomAttribute("data-rounds-completed") == total.ToString(CultureInfo.InvariantCulture),
            s_run,
            $"the job page to show all {total} rounds, the job completed and its event stream closed",
            cancel);
        int[] seen = [.. ((IEnumerable<object>)browser.ExecuteScript("return window.consortiaRounds;")!).Select(v => int.Parse((string)v, CultureInfo.InvariantCulture))];
        string history = string.Join(" → ", seen);
        TestContext.Current.TestOutputHelper?.WriteLine($"{jobFile}: the page's round counter showed {history}");
        Assert.True(seen.Where(r => r < total).Distinct().Count() >= 2, $"the round counter took fewer than two values below {total} before the end: {history}");
        Assert.True(seen.SequenceEqual(seen.Order()), $"the round counter went backwards: {history}");
        Assert.Equal(total, seen[^1]);

        // The numbers the page shows are the API's. The page may still be re-rendering the last event (same content):
        // a read that meets a replaced element starts again; a wrong number fails at once.
        using HttpClient api = new() { BaseAddress = site, Timeout = TimeSpan.FromSeconds(15) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        string jobId = browser.Driver.FindElement(By.Id("job-page")).GetDomAttribute("data-job-id")!;
        using JsonDocument detail = JsonDocument.Parse(await api.GetStringAsync(new Uri($"/api/jobs/{Uri.EscapeDataString(jobId)}", UriKind.Relative), cancel));
        await browser.WaitUntilAsync(driver => AssertPageShows(driver, detail.RootElement, total), s_page, "a stable rendering of the finished job", cancel);

        string png = browser.SaveScreenshot(screenshot, fullPage: true);
        Assert.True(new FileInfo(png).Length > 10_000, $"{png} looks empty");

        await AssertUnauthenticatedGetsLoginAsync(browser, site, jobPath, jobId, cancel);

        int exit = await simulate.StopAsync(TimeSpan.FromSeconds(20));
        Assert.True(exit == 0, $"simulate --serve exited with {exit} on SIGTERM:\n{simulate.Output}");
    }

    /// <summary>Progress, the last round's per-site and global metrics, the participants of every round and ε per site.</summary>
    /// <returns><see langword="true"/> (for <see cref="HeadlessChromium.WaitUntilAsync{T}"/>).</returns>
    private static bool AssertPageShows(IWebDriver page, JsonElement detail, int total)
    {
        JsonElement job = detail.GetProperty("job");
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(total, job.GetProperty("total_rounds").GetInt32());
        Assert.Equal(total, job.GetProperty("rounds_completed").GetInt32());
        IWebElement counter = page.FindElement(By.Id("round-counter"));
        Assert.Equal(total.ToString(CultureInfo.InvariantCulture), counter.GetDomAttribute("data-rounds-completed"));
        Assert.Equal($"{total} / {total}", counter.Text);
        Assert.Equal("completed", page.FindElement(By.Id("job-state")).Text);

        JsonElement[] rounds = [.. detail.GetProperty("rounds").EnumerateArray()];
        Assert.Equal(total, rounds.Length);
        JsonElement last = rounds.Last(r => r.GetProperty("evaluation").ValueKind == JsonValueKind.Object);
        int lastRound = last.GetProperty("round").GetInt32();
        Assert.Equal(lastRound.ToString(CultureInfo.InvariantCulture), page.FindElement(By.Id("metrics-round")).Text);
        JsonElement evaluation = last.GetProperty("evaluation");
        string[] metrics = [.. detail.GetProperty("metrics").EnumerateArray().Select(m => m.GetString()!)];
        Assert.NotEmpty(metrics);

        JsonElement[] sites = [.. evaluation.GetProperty("sites").EnumerateArray()];
        Assert.Equal(4, sites.Length); // the four heart-disease hospitals
        Assert.Equal(sites.Length, page.FindElements(By.CssSelector("#site-metrics tbody tr")).Count);
        foreach (JsonElement site in sites)
        {
            string name = site.GetProperty("site").GetString()!;
            IWebElement row = page.FindElement(By.CssSelector($"#site-metrics tr[data-site='{name}']"));
            Assert.Equal(site.GetProperty("examples").GetInt32().ToString(CultureInfo.InvariantCulture), row.FindElement(By.CssSelector("td[data-field='examples']")).Text);
            AssertMetricCells(row, metrics, site.GetProperty("metrics"), $"site {name}, round {lastRound}");
        }

        foreach (string aggregate in (string[])["weighted", "mean"])
        {
            IWebElement row = page.FindElement(By.CssSelector($"#global-metrics tr[data-aggregate='{aggregate}']"));
            AssertMetricCells(row, metrics, evaluation.GetProperty(aggregate), $"global ({aggregate}), round {lastRound}");
        }

        // Participants: every round's contributors, refusals and dropouts as the API lists them.
        Assert.Equal(rounds.Length, page.FindElements(By.CssSelector("#rounds tbody tr[data-round]")).Count);
        foreach (JsonElement round in rounds)
        {
            int number = round.GetProperty("round").GetInt32();
            IWebElement row = page.FindElement(By.CssSelector($"#rounds tr[data-round='{number}']"));
            string[] contributors = [.. round.GetProperty("contributors").EnumerateArray().Select(c => c.GetString()!)];
            Assert.NotEmpty(contributors);
            Assert.Equal(string.Join(", ", contributors), row.FindElement(By.CssSelector("td[data-field='contributors']")).Text);
            Assert.Equal(round.GetProperty("refusals").GetArrayLength(), row.FindElements(By.CssSelector("td[data-field='refusals'] li")).Count);
            Assert.Equal(round.GetProperty("failures").GetArrayLength(), row.FindElements(By.CssSelector("td[data-field='failures'] li")).Count);
        }

        // Privacy: ε spent per site (and the lifetime figures) exactly as reported, or nothing without DP.
        JsonElement[] privacy = [.. detail.GetProperty("privacy").EnumerateArray()];
        bool dp = detail.GetProperty("protections").GetProperty("dp").ValueKind == JsonValueKind.Object;
        if (!dp)
        {
            Assert.Empty(privacy);
            Assert.Single(page.FindElements(By.Id("privacy-none")));
            return true;
        }

        Assert.True(privacy.Length == 4, $"a DP job: the API should list the privacy accounting of all 4 sites, it lists {privacy.Length} (are the sites' reports stored with the rounds, RoundReport.Privacy?)");
        Assert.Equal(privacy.Length, page.FindElements(By.CssSelector("#privacy-table tbody tr")).Count);
        foreach (JsonElement p in privacy)
        {
            string name = p.GetProperty("site").GetString()!;
            IWebElement row = page.FindElement(By.CssSelector($"#privacy-table tr[data-site='{name}']"));
            Assert.True(p.GetProperty("epsilon").ValueKind == JsonValueKind.Number, $"the API reports no ε for {name}");
            foreach (string field in (string[])["epsilon", "round_epsilon", "delta", "lifetime_epsilon", "lifetime_budget"])
            {
                AssertShownCompact(p.GetProperty(field), row.FindElement(By.CssSelector($"td[data-field='{field}']")), $"{field} of {name}");
            }
        }

        return true;
    }

    private static void AssertMetricCells(IWebElement row, string[] metrics, JsonElement values, string where)
    {
        Dictionary<string, JsonElement> byName = values.EnumerateArray().ToDictionary(v => v.GetProperty("metric").GetString()!, v => v.GetProperty("value"), StringComparer.Ordinal);
        foreach (string metric in metrics)
        {
            string shown = row.FindElement(By.CssSelector($"td[data-metric='{metric}']")).Text;
            Assert.True(byName.TryGetValue(metric, out JsonElement value), $"{where}: the API has no {metric}");
            AssertShown(value, shown, $"{metric} of {where}");
        }
    }

    /// <summary>A number shown on the page equals the API's exactly (both are the shortest round-trip form); none is shown as "—".</summary>
    private static void AssertShown(JsonElement api, string shown, string what)
    {
        if (api.ValueKind == JsonValueKind.Null)
        {
            Assert.True(shown == "—", $"{what}: the API has none, the page shows '{shown}'");
            return;
        }

        Assert.True(double.TryParse(shown, NumberStyles.Float, CultureInfo.InvariantCulture, out double onPage), $"{what}: the page shows '{shown}', not a number (API: {api.GetRawText()})");
        Assert.True(onPage == api.GetDouble(), $"{what}: the page shows {shown}, the API says {api.GetRawText()}");
    }

    /// <summary>
    /// A privacy figure: the API's number exactly in <c>data-value</c> and <c>title</c>, and to 4 significant digits in
    /// the text (so the nine-column table fits a 1280-pixel screen); none is "—".
    /// </summary>
    private static void AssertShownCompact(JsonElement api, IWebElement cell, string what)
    {
        string exact = api.ValueKind == JsonValueKind.Null ? "" : api.GetRawText();
        Assert.True(cell.GetDomAttribute("data-value") == exact, $"{what}: data-value is '{cell.GetDomAttribute("data-value")}', the API says '{exact}'");
        Assert.True(cell.GetDomAttribute("title") == exact, $"{what}: title is '{cell.GetDomAttribute("title")}', the API says '{exact}'");
        string compact = api.ValueKind == JsonValueKind.Null ? "—" : api.GetDouble().ToString("G4", CultureInfo.InvariantCulture);
        Assert.True(cell.Text == compact, $"{what}: the page shows '{cell.Text}', expected '{compact}' (the API's {api.GetRawText()} to 4 significant digits)");
    }

    /// <summary>Without the session cookie the browser gets the login page, never the job; without the token the API answers 401.</summary>
    private static async Task AssertUnauthenticatedGetsLoginAsync(HeadlessChromium browser, Uri site, string jobPath, string jobId, CancellationToken cancel)
    {
        browser.Driver.Manage().Cookies.DeleteAllCookies();
        foreach (string path in (string[])[jobPath, site.AbsoluteUri])
        {
            browser.Open(new Uri(path));
            await browser.WaitUntilAsync(driver => driver.FindElements(By.Id("login")).Count == 1, s_page, $"the login page instead of {path}", cancel);
            Assert.Equal(new Uri(site, "/login").AbsoluteUri, browser.Driver.Url);
            Assert.Empty(browser.Driver.FindElements(By.Id("job-page")));
            Assert.Empty(browser.Driver.FindElements(By.Id("jobs")));
            Assert.DoesNotContain(jobId, browser.Driver.PageSource, StringComparison.Ordinal);
        }

        using HttpClient anonymous = new() { BaseAddress = site, Timeout = TimeSpan.FromSeconds(15) };
        using HttpResponseMessage refused = await anonymous.GetAsync(new Uri($"/api/jobs/{Uri.EscapeDataString(jobId)}", UriKind.Relative), cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using HttpRequestMessage wrong = new(HttpMethod.Get, new Uri("/api/jobs", UriKind.Relative));
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");
        using HttpResponseMessage refusedWrong = await anonymous.SendAsync(wrong, cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, refusedWrong.StatusCode);
    }

    [GeneratedRegex(@"^dashboard: (?<url>http://127\.0\.0\.1:\d+/login\?token=\S+)$", RegexOptions.Multiline)]
    private static partial Regex LoginLine();
}
