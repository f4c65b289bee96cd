using System.CommandLine;
using System.Text.Json;
using Consortia.Cli.Commands;
using Consortia.Privacy.Accounting;

namespace Consortia.Cli.Tests.Privacy;

public sealed class PrivacyCommandsTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        RootCommand root = new("test root") { PrivacyCommands.Create() };
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        int exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Epsilon_ReferenceAnchorJson_PrintsEpsilonAndOrder()
    {
        (int exit, string output, string error) = Run("privacy", "epsilon", "--sample-rate", "0.01", "--noise-multiplier", "1.1", "--steps", "1000", "--delta", "1e-5", "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(1.711770, json.RootElement.GetProperty("epsilon").GetDouble(), 5e-6);
        Assert.Equal(9.6, json.RootElement.GetProperty("order").GetDouble(), 1e-12);
        Assert.Equal(2, json.RootElement.EnumerateObject().Count());
    }

    [Theory]
    [InlineData("opacus_default", "classic", 2.082085)]
    [InlineData("dp-accounting", "canonne2020_dpacc", 1.711770)]
    [InlineData("integer", "balle2020", 1.725291)]
    public void Epsilon_GridAndConversionOptions_SelectTheVariant(string orders, string conversion, double expected)
    {
        (int exit, string output, string error) = Run("privacy", "epsilon", "-q", "0.01", "-z", "1.1", "-T", "1000", "-d", "1e-5", "--orders", orders, "--conversion", conversion, "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(expected, json.RootElement.GetProperty("epsilon").GetDouble(), 5e-6);
    }

    [Fact]
    public void Epsilon_Text_NamesEpsilonDeltaOrderGridAndConversion()
    {
        (int exit, string output, _) = Run("privacy", "epsilon", "--sample-rate", "1", "--noise-multiplier", "5", "--steps", "1", "--delta", "1e-5");

        Assert.Equal(0, exit);
        Assert.StartsWith("ε = 0.7945", output, StringComparison.Ordinal);
        Assert.Contains("α = 22", output, StringComparison.Ordinal);
        Assert.Contains("opacus_default", output, StringComparison.Ordinal);
        Assert.Contains("balle2020", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Epsilon_OptimumOnGridEdge_PrintsNote()
    {
        (int exit, string output, _) = Run("privacy", "epsilon", "--sample-rate", "0.01", "--noise-multiplier", "5", "--steps", "1", "--delta", "1e-5");

        Assert.Equal(0, exit);
        Assert.Contains("edge of the grid", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_Json_PrintsNoiseMultiplierThatMeetsTarget()
    {
        (int exit, string output, string error) = Run("privacy", "calibrate", "--epsilon", "2", "--delta", "1e-5", "--sample-rate", "0.01", "--steps", "1000", "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        double z = json.RootElement.GetProperty("noise_multiplier").GetDouble();
        Assert.True(RdpAccountant.ComputeEpsilon(0.01, z, 1000, 1e-5).Epsilon <= 2.0);
        Assert.True(RdpAccountant.ComputeEpsilon(0.01, 0.99 * z, 1000, 1e-5).Epsilon > 2.0);
    }

    [Fact]
    public void Calibrate_Text_PrintsSigma()
    {
        (int exit, string output, _) = Run("privacy", "calibrate", "-e", "1.711770", "-d", "1e-5", "-q", "0.01", "-T", "1000");

        Assert.Equal(0, exit);
        Assert.StartsWith("noise multiplier σ = 1.1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_Unreachable_ErrorAndExitCode2()
    {
        (int exit, string output, string error) = Run("privacy", "calibrate", "--epsilon", "1e-6", "--delta", "1e-5", "--sample-rate", "1", "--steps", "100000");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("no noise multiplier", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--sample-rate", "0", "--sample-rate must be a number in (0, 1]")]
    [InlineData("--sample-rate", "1.5", "--sample-rate must be a number in (0, 1]")]
    [InlineData("--noise-multiplier", "-1", "--noise-multiplier must be a finite number > 0")]
    [InlineData("--delta", "0", "--delta must be a number in (0, 1)")]
    [InlineData("--delta", "1", "--delta must be a number in (0, 1)")]
    [InlineData("--steps", "0", "--steps must be an integer of at least 1")]
    [InlineData("--orders", "fancy", "--orders: unknown grid 'fancy'")]
    [InlineData("--conversion", "exact", "--conversion: unknown conversion 'exact'")]
    public void Epsilon_BadArgument_ClearErrorAndNonZeroExit(string option, string value, string message)
    {
        Dictionary<string, string> args = new(StringComparer.Ordinal)
        {
            ["--sample-rate"] = "0.01",
            ["--noise-multiplier"] = "1",
            ["--steps"] = "10",
            ["--delta"] = "1e-5",
        };
        args[option] = value;

        (int exit, string output, string error) = Run(["privacy", "epsilon", .. args.SelectMany(a => new[] { a.Key, a.Value })]);

        Assert.NotEqual(0, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("ε =", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--epsilon", "0", "--epsilon must be a finite number > 0")]
    [InlineData("--delta", "2", "--delta must be a number in (0, 1)")]
    [InlineData("--sample-rate", "-0.1", "--sample-rate must be a number in (0, 1]")]
    public void Calibrate_BadArgument_ClearErrorAndNonZeroExit(string option, string value, string message)
    {
        Dictionary<string, string> args = new(StringComparer.Ordinal)
        {
            ["--epsilon"] = "1",
            ["--delta"] = "1e-5",
            ["--sample-rate"] = "0.01",
            ["--steps"] = "10",
        };
        args[option] = value;

        (int exit, _, string error) = Run(["privacy", "calibrate", .. args.SelectMany(a => new[] { a.Key, a.Value })]);

        Assert.NotEqual(0, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Epsilon_MissingRequiredOption_NonZeroExit()
    {
        (int exit, _, string error) = Run("privacy", "epsilon", "--sample-rate", "0.01", "--steps", "10", "--delta", "1e-5");

        Assert.NotEqual(0, exit);
        Assert.Contains("--noise-multiplier", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Epsilon_NotANumber_NonZeroExit()
    {
        (int exit, _, string error) = Run("privacy", "epsilon", "--sample-rate", "abc", "--noise-multiplier", "1", "--steps", "10", "--delta", "1e-5");

        Assert.NotEqual(0, exit);
        Assert.Contains("abc", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Epsilon_Json_IsOneCompactObject()
    {
        (int exit, string output, _) = Run("privacy", "epsilon", "-q", "0.05", "-z", "1", "-T", "100", "-d", "1e-5", "--json");

        Assert.Equal(0, exit);
        Assert.Matches("^\\{\"epsilon\":4\\.0383[0-9]*,\"order\":4\\.6[0-9]*\\}\\r?\\n$", output);
    }
}
