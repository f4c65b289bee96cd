using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

/// <summary><c>simulate --serve --pace</c>: the login link, the run live over server-sent events, the finished job served until stopped.</summary>
[Trait("Category", "Slow")]
public sealed partial class SimulateServeTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task SimulateServe_WithPace_PrintsTheLink_StreamsEveryRound_ServesTheFinishedJob_AndChangesNoResult()
    {
        using TempDirectory temp = new();
        string job = RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml");
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using WatchedWriter stdout = new();
        using StringWriter stderr = new();
        Task<int> serving = ConsortiaCommand.Create().Parse(["simulate", job, "--out", temp.File("served"), "--serve", "127.0.0.1:0", "--pace", "20ms"])
            .InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, stop.Token);

        string link = (await stdout.LineAsync(LoginLink(), s_limit)).Split(' ')[1];
        using HttpClient browser = new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { Timeout = s_limit };
        using HttpResponseMessage login = await browser.GetAsync(link, TestContext.Current.CancellationToken);
        Uri root = new(link[..link.IndexOf("login", StringComparison.Ordinal)]);
        string id = await JobIdAsync(browser, root);
        List<int> streamed = await StreamedRoundsAsync(browser, new Uri(root, $"api/jobs/{id}/events"));
        await stdout.LineAsync(StillServing(), s_limit);
        using JsonDocument finished = JsonDocument.Parse(await browser.GetStringAsync(new Uri(root, $"api/jobs/{id}"), TestContext.Current.CancellationToken));
        using HttpResponseMessage page = await browser.GetAsync(new Uri(root, $"jobs/{id}"), TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        int exit = await serving.WaitAsync(s_limit, TestContext.Current.CancellationToken);
        (int plainExit, _, string plainError) = await CliRunner.RunAsync("simulate", job, "--out", temp.File("plain"));

        Assert.Equal(HttpStatusCode.OK, login.StatusCode); // the link's redirect lands on the job list with the session cookie
        Assert.Equal(Enumerable.Range(1, 15), streamed);
        Assert.Equal("completed", finished.RootElement.GetProperty("job").GetProperty("state").GetString());
        Assert.Equal(15, finished.RootElement.GetProperty("rounds").GetArrayLength());
        Assert.Equal(4, finished.RootElement.GetProperty("sites").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("id=\"round-counter\" data-rounds-completed=\"15\" data-total-rounds=\"15\"", await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.True(exit == 0, stderr.ToString());
        Assert.True(plainExit == 0, plainError);
        Assert.Equal(
            await File.ReadAllTextAsync(Path.Combine(temp.File("plain"), "model.json"), TestContext.Current.CancellationToken),
            await File.ReadAllTextAsync(Path.Combine(temp.File("served"), "model.json"), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("--pace", "300ms")] // pace without --serve
    [InlineData("--serve", "not-an-address")]
    public async Task Simulate_BadServeOrPace_IsRefusedNamingTheOption(string option, string value)
    {
        string job = RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml");

        (int exit, _, string error) = await CliRunner.RunAsync("simulate", job, option, value);

        Assert.NotEqual(0, exit);
        Assert.Contains(option, error, StringComparison.Ordinal);
    }

    private static async Task<string> JobIdAsync(HttpClient browser, Uri root)
    {
        using JsonDocument jobs = JsonDocument.Parse(await browser.GetStringAsync(new Uri(root, "api/jobs"), TestContext.Current.CancellationToken));
        return Assert.Single(jobs.RootElement.EnumerateArray()).GetProperty("id").GetString()!;
    }

    /// <summary>The rounds of the job's event stream, in order, until its <c>end</c> event.</summary>
    private static async Task<List<int>> StreamedRoundsAsync(HttpClient browser, Uri events)
    {
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(s_limit);
        using HttpResponseMessage response = await browser.GetAsync(events, HttpCompletionOption.ResponseHeadersRead, limit.Token);
        using StreamReader reader = new(await response.Content.ReadAsStreamAsync(limit.Token));
        List<int> rounds = [];
        string? name = null;
        while (await reader.ReadLineAsync(limit.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && name == "round")
            {
                using JsonDocument round = JsonDocument.Parse(line[6..]);
                rounds.Add(round.RootElement.GetProperty("round").GetInt32());
            }
            else if (line.Length == 0 && name == "end")
            {
                break;
            }
        }

        return rounds;
    }

    [GeneratedRegex(@"^dashboard: http://127\.0\.0\.1:\d+/login\?token=[A-Za-z0-9_-]+$")]
    private static partial Regex LoginLink();

    [GeneratedRegex("^dashboard: the run has ended; still serving it at .* until Ctrl\\+C or SIGTERM\\.$")]
    private static partial Regex StillServing();

    /// <summary>Captures what the command prints and lets a test await a line.</summary>
    private sealed class WatchedWriter : StringWriter
    {
        private readonly Lock _gate = new();
        private readonly List<(Regex Pattern, TaskCompletionSource<string> Seen)> _waits = [];

        public async Task<string> LineAsync(Regex pattern, TimeSpan limit)
        {
            TaskCompletionSource<string> seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                string? already = ToString().Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(pattern.IsMatch);
                if (already is not null)
                {
                    return already;
                }

                _waits.Add((pattern, seen));
            }

            return await seen.Task.WaitAsync(limit, TestContext.Current.CancellationToken);
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
                foreach ((Regex pattern, TaskCompletionSource<string> seen) in _waits.Where(w => value is not null && w.Pattern.IsMatch(value)))
                {
                    seen.TrySetResult(value!);
                }
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
