using System.CommandLine;
using System.Text.Json;

using Consortia.Cli.Commands;

namespace Consortia.Cli.Tests.SecAgg;

public sealed class SecAggBenchCommandTests
{
    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        RootCommand root = new("test root") { SecAggBenchCommand.Create() };
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        int exit = await root.Parse(["secagg", .. args]).InvokeAsync(
            new InvocationConfiguration { Output = stdout, Error = stderr },
            TestContext.Current.CancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task SecAgg_JsonCompleteGraphWithDropoutAfterMasking_ReportsCorrectSumAndAllFields()
    {
        (int exit, string output, string error) = await RunAsync("--sites", "6", "--dim", "500", "--dropout", "0.2", "--seed", "3", "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement root = json.RootElement;
        Assert.Equal(
            ["sites", "dim", "dropout", "neighbours", "mode", "sum_correct", "client_ms", "server_ms", "secagg_round_ms", "plain_round_ms", "client_bytes", "mask_bytes_per_s", "cipher_bytes_per_s"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(6, root.GetProperty("sites").GetInt32());
        Assert.Equal(500, root.GetProperty("dim").GetInt32());
        Assert.Equal(0.2, root.GetProperty("dropout").GetDouble());
        Assert.Equal(5, root.GetProperty("neighbours").GetInt32());
        Assert.True(root.GetProperty("sum_correct").GetBoolean());
        Assert.True(root.GetProperty("client_ms").GetDouble() > 0);
        Assert.True(root.GetProperty("server_ms").GetDouble() > 0);
        Assert.True(root.GetProperty("secagg_round_ms").GetDouble() >= root.GetProperty("server_ms").GetDouble());
        Assert.True(root.GetProperty("plain_round_ms").GetDouble() > 0);
        Assert.True(root.GetProperty("client_bytes").GetDouble() > 4 * 500);
        Assert.True(root.GetProperty("mask_bytes_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("cipher_bytes_per_s").GetDouble() > 0);
    }

    [Fact]
    public async Task SecAgg_SparseGraphDropoutBeforeMasking_PrintsPhaseTable()
    {
        (int exit, string output, string error) = await RunAsync("--sites", "10", "--dim", "64", "--dropout", "0.1", "--neighbours", "4", "--dropout-phase", "before-masking", "--seed", "1");

        Assert.True(exit == 0, error);
        Assert.Contains("SecAgg+ k = 4", output, StringComparison.Ordinal);
        foreach (string stage in new[] { "AdvertiseKeys", "ShareKeys", "CollectMaskedInputs", "Unmasking", "plain round", "raw AES-256 keystream" })
        {
            Assert.Contains(stage, output, StringComparison.Ordinal);
        }

        Assert.Contains("sum correct: yes", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecAgg_DropoutBeyondThreshold_ReportsIncorrectSumWithExitCode1()
    {
        (int exit, string output, _) = await RunAsync("--sites", "5", "--dim", "8", "--dropout", "0.6", "--seed", "2", "--json");

        Assert.Equal(1, exit);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.False(json.RootElement.GetProperty("sum_correct").GetBoolean());
    }

    [Theory]
    [InlineData("--sites", "2", "--dim", "8", "--dropout", "0", "--sites")]
    [InlineData("--sites", "5", "--dim", "0", "--dropout", "0", "--dim")]
    [InlineData("--sites", "5", "--dim", "8", "--dropout", "1", "--dropout")]
    [InlineData("--sites", "8", "--dim", "8", "--dropout", "0", "--neighbours")]
    public async Task SecAgg_InvalidArgument_ExitsWith2NamingTheOption(string a, string b, string c, string d, string e, string f, string option)
    {
        string[] args = option == "--neighbours" ? [a, b, c, d, e, f, "--neighbours", "3"] : [a, b, c, d, e, f];

        (int exit, _, string error) = await RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains(option, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecAgg_MissingRequiredOption_IsAParseError()
    {
        (int exit, _, string error) = await RunAsync("--sites", "5", "--dim", "8");

        Assert.NotEqual(0, exit);
        Assert.Contains("--dropout", error, StringComparison.Ordinal);
    }
}
