using System.Text.Json;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

/// <summary>
/// <c>consortia redteam coordinator</c>: against the sites as shipped every attack of a malicious coordinator is
/// prevented; against the weakened configuration the same attacks succeed (so the suite can fail).
/// </summary>
public sealed class RedTeamCommandTests
{
    private static readonly string s_data = RepositoryPaths.Combine("data", "fed-heart-disease");

    private static (string Name, bool Prevented, string Detail)[] Attacks(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("attacks").EnumerateArray()
            .Select(a => (a.GetProperty("name").GetString()!, a.GetProperty("prevented").GetBoolean(), a.GetProperty("detail").GetString()!))];
    }

    [Fact]
    [Trait("Category", "Slow")] // a real coordinator host and four node processes on loopback (~30 s)
    public async Task Protected_EveryAttackIsPrevented_ExitZero()
    {
        (int exit, string json, string error) = await CliRunner.RunAsync("redteam", "coordinator", "--json", "--data", s_data);

        (string Name, bool Prevented, string Detail)[] attacks = Attacks(json);
        Assert.Equal(["downgrade", "repeated-round", "evaluation-outside-policy", "public-sampling", "puppet", "threshold", "hostile-index", "host-header", "ledger-key", "crafted-audit", "downgrade-grpc", "puppet-grpc"], attacks.Select(a => a.Name));
        Assert.All(attacks, a => Assert.True(a.Prevented, $"{a.Name}: {a.Detail}"));
        Assert.True(exit == 0, error);
        Assert.Contains("INVALID", attacks.Single(a => a.Name == "ledger-key").Detail, StringComparison.Ordinal);
        Assert.Contains("GET /metrics answered 404", attacks.Single(a => a.Name == "host-header").Detail, StringComparison.Ordinal);
        Assert.Contains("rule task-secure-aggregation", attacks.Single(a => a.Name == "downgrade-grpc").Detail, StringComparison.Ordinal);
        Assert.Contains("rule audit-model", attacks.Single(a => a.Name == "crafted-audit").Detail, StringComparison.Ordinal);
        Assert.Contains("it answered the audit of the round's own model", attacks.Single(a => a.Name == "crafted-audit").Detail, StringComparison.Ordinal);
        Assert.Contains("rule secagg-roster", attacks.Single(a => a.Name == "puppet-grpc").Detail, StringComparison.Ordinal);
        Assert.Contains("over mutual-TLS gRPC to the node process", attacks.Single(a => a.Name == "puppet-grpc").Detail, StringComparison.Ordinal);
        Assert.Contains("\"mode\": \"protected\"", json, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")] // a real coordinator host and four node processes on loopback (~30 s)
    public async Task Unprotected_TheAttacksRecoverWhatTheyAimAt_ExitOne()
    {
        (int exit, string json, _) = await CliRunner.RunAsync("redteam", "coordinator", "--json", "--unprotected", "--data", s_data);

        Dictionary<string, (bool Prevented, string Detail)> attacks = Attacks(json).ToDictionary(a => a.Name, a => (a.Prevented, a.Detail));
        Assert.Equal(1, exit);
        string[] unswitchable = ["hostile-index", "downgrade-grpc", "puppet-grpc"]; // no weakened configuration exists for them
        Assert.All(attacks.Where(a => !unswitchable.Contains(a.Key)), a => Assert.False(a.Value.Prevented, $"{a.Key}: {a.Value.Detail}"));
        Assert.Contains("raw update", attacks["downgrade"].Detail, StringComparison.Ordinal);
        Assert.Contains("every individual update recovered", attacks["repeated-round"].Detail, StringComparison.Ordinal);
        Assert.Contains("bit for bit", attacks["public-sampling"].Detail, StringComparison.Ordinal);
        Assert.Contains("the victim's update recovered", attacks["puppet"].Detail, StringComparison.Ordinal);
        Assert.Contains("the victim's update recovered", attacks["threshold"].Detail, StringComparison.Ordinal);
        Assert.Contains("GET /metrics answered 200", attacks["host-header"].Detail, StringComparison.Ordinal);
        Assert.Contains("(--public-key ledger.pub.pem): VALID", attacks["ledger-key"].Detail, StringComparison.Ordinal);
        Assert.Contains("equal to the site's own data", attacks["crafted-audit"].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT equal", attacks["crafted-audit"].Detail, StringComparison.Ordinal);
        Assert.True(attacks["hostile-index"].Prevented, attacks["hostile-index"].Detail); // no weakened switch: the report says so
        Assert.Contains("no weakened switch", attacks["hostile-index"].Detail, StringComparison.Ordinal);
        Assert.All(["downgrade-grpc", "puppet-grpc"], name => Assert.Contains("a node process has no weakened configuration", attacks[name].Detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingData_ExitsTwoNamingTheOption()
    {
        using TempDirectory temp = new();
        (int exit, _, string error) = await CliRunner.RunAsync("redteam", "coordinator", "--data", temp.File("nowhere"));

        Assert.Equal(2, exit);
        Assert.Contains("--data", error, StringComparison.Ordinal);
    }
}
