using System.Text.Json;
using System.Text.RegularExpressions;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

public sealed class ExploreCommandTests
{
    [Fact]
    public async Task Explore_writes_a_self_contained_html_report_and_json_with_both_warnings()
    {
        using var files = new ExplorationFiles();
        using var output = new TempDirectory();

        (int exit, string stdout, string stderr) = await CliRunner.RunAsync("explore", files.Job, "--json", "--out", output.Path);

        Assert.True(exit == 0, stderr);
        using JsonDocument json = JsonDocument.Parse(stdout);
        JsonElement[] warnings = [.. json.RootElement.GetProperty("warnings").EnumerateArray()];
        Assert.Contains(warnings, w => w.GetProperty("kind").GetString() == "coded_missing" && w.GetProperty("site").GetString() == "south" && w.GetProperty("feature").GetString() == "glucose");
        Assert.Contains(warnings, w => w.GetProperty("kind").GetString() == "no_overlap" && w.GetProperty("feature").GetString() == "age");
        Assert.True(json.RootElement.GetProperty("secure_aggregation").GetBoolean());

        string html = await File.ReadAllTextAsync(output.File("explore.html"), TestContext.Current.CancellationToken);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("probably missing values coded as 0", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex("(src|href)\\s*=|https?://|<script|@import", RegexOptions.IgnoreCase), html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal));
        Assert.Equal(stdout.Trim(), (await File.ReadAllTextAsync(output.File("explore.json"), TestContext.Current.CancellationToken)).Trim());
    }

    [Fact]
    public async Task Bad_data_fails_naming_file_line_and_column()
    {
        using var files = new ExplorationFiles();
        string[] lines = await File.ReadAllLinesAsync(files.Csv, TestContext.Current.CancellationToken);
        lines[2] = "north,41.0,120.0,25.0,7";
        await File.WriteAllLinesAsync(files.Csv, lines, TestContext.Current.CancellationToken);

        (int exit, _, string stderr) = await CliRunner.RunAsync("explore", files.Job);

        Assert.Equal(2, exit);
        Assert.Contains("clinics.csv:3", stderr, StringComparison.Ordinal);
        Assert.Contains("outcome", stderr, StringComparison.Ordinal);
    }
}
