using System.Net;
using Consortia.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Consortia.EndToEnd.Tests.Browser;

/// <summary>
/// The browser harness itself (<see cref="HeadlessChromium"/>): a real Kestrel on a loopback port serves a page whose
/// script rewrites the DOM when a server-sent event arrives, and the test waits for the rewrite.
/// </summary>
public sealed class HeadlessChromiumTests
{
    private const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>harness</title></head>
        <body>
          <h1>Browser harness</h1>
          <p id="status">loading</p>
          <script>
            const status = document.getElementById('status');
            status.textContent = 'waiting';
            const events = new EventSource('/events');
            events.onopen = () => { status.textContent = 'connected'; };
            events.onmessage = e => { status.textContent = 'event: ' + e.data; events.close(); };
          </script>
        </body></html>
        """;

    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task WaitUntil_PageChangedByServerSentEvent_SeesTheChangeAndSavesAScreenshot()
    {
        CancellationToken cancel = TestContext.Current.CancellationToken;
        TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await using WebApplication server = ServePage(release.Task);
        await server.StartAsync(cancel);
        Uri root = new(server.Urls.Single());

        using HeadlessChromium browser = HeadlessChromium.Start();
        browser.Open(root);

        // The event is held back until the page says it is connected, so the change can only come from the event.
        await browser.WaitUntilAsync(_ => browser.TextById("status") == "connected", s_wait, "the page's EventSource to connect", cancel);
        Assert.Equal("connected", browser.TextById("status"));
        release.SetResult();
        string shown = await browser.WaitUntilAsync(
            _ => browser.TextById("status") is { } text && text.StartsWith("event:", StringComparison.Ordinal) ? text : null,
            s_wait,
            "the page to show the server-sent event",
            cancel);
        Assert.Equal("event: round 42", shown);

        string png = browser.SaveScreenshot("harness");
        Assert.Equal(Path.Combine(RepositoryPaths.Root, "artifacts", "browser", "harness.png"), png);
        byte[] bytes = await File.ReadAllBytesAsync(png, cancel);
        Assert.True(bytes.Length > 1000, $"{png}: only {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task WaitUntil_ConditionNeverHolds_TimesOutNamingTheCondition()
    {
        CancellationToken cancel = TestContext.Current.CancellationToken;
        await using WebApplication server = ServePage(new TaskCompletionSource().Task);
        await server.StartAsync(cancel);

        using HeadlessChromium browser = HeadlessChromium.Start();
        browser.Open(new Uri(server.Urls.Single()));

        TimeoutException error = await Assert.ThrowsAsync<TimeoutException>(() =>
            browser.WaitUntilAsync(_ => browser.TextById("no-such-element"), TimeSpan.FromSeconds(1), "an element that is never there", cancel));
        Assert.Contains("an element that is never there", error.Message, StringComparison.Ordinal);
        Assert.Contains("Browser harness", error.Message, StringComparison.Ordinal); // the page text, to see what was shown instead
    }

    [Theory]
    [InlineData("chromium")]
    [InlineData("driver")]
    public void Start_BinaryMissing_FailsNamingIt(string missing)
    {
        string absent = Path.Combine(Path.GetTempPath(), "consortia-absent-" + Guid.NewGuid().ToString("N"), missing);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => missing == "chromium"
            ? HeadlessChromium.Start(chromiumPath: absent)
            : HeadlessChromium.Start(driverPath: absent));

        Assert.Contains(absent, error.Message, StringComparison.Ordinal);
        Assert.Contains(missing == "chromium" ? "chromium package" : "chromium-driver package", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Start_BrowserThatDoesNotStart_FailsWithTheDriversReason()
    {
        // /bin/false exists but exits at once: chromedriver starts, the browser session does not.
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => HeadlessChromium.Start(chromiumPath: "/bin/false"));

        Assert.Contains("Headless Chromium did not start (/bin/false through", error.Message, StringComparison.Ordinal);
        Assert.Contains("chromedriver log", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The harness page at <c>/</c> and one server-sent event at <c>/events</c>, sent once <paramref name="release"/> completes.</summary>
    private static WebApplication ServePage(Task release)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        app.MapGet("/", () => Results.Content(Page, "text/html; charset=utf-8"));
        app.MapGet("/events", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.WriteAsync(": open\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await release.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("data: round 42\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        });
        return app;
    }
}
