using System.Text.Json;
using Consortia.Cli.Demo;
using Consortia.Governance.Agreements;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Demo;

/// <summary>
/// <c>consortia demo virtual-consortia</c> (what examples/virtual-consortia/run.sh runs): one coordinator process hosting
/// two consortia with real node processes on loopback. The slow test runs it whole and reads its JSON summary.
/// </summary>
public sealed class VirtualConsortiaDemoTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Demo_TwoConsortiaConcurrently_AJoinerInTheNextJobOnly_RefusalsByClause_AndItsReports()
    {
        using TempDirectory temp = new();
        string output = temp.File("out");

        (int exit, string json, string progress) = await CliRunner.RunAsync("demo", "virtual-consortia", "--json", "--out", output, "--source", RepositoryPaths.Root, "--rounds", "3");

        Assert.True(exit == 0, $"exit {exit}\n{json}\n{progress}");
        using JsonDocument summary = JsonDocument.Parse(json);
        JsonElement[] consortia = [.. summary.RootElement.GetProperty("consortia").EnumerateArray()];
        Assert.Equal([VirtualConsortiaDemo.Cardiology, VirtualConsortiaDemo.Oncology], consortia.Select(c => c.GetProperty("name").GetString()));
        string[] cardioMembers = Strings(consortia[0], "members"), oncoMembers = Strings(consortia[1], "members");
        Assert.Contains("cleveland", cardioMembers);
        Assert.Contains("cleveland", oncoMembers); // one hospital in both

        JsonElement[] cardio = [.. consortia[0].GetProperty("jobs").EnumerateArray()];
        JsonElement brca = Assert.Single(consortia[1].GetProperty("jobs").EnumerateArray());
        Assert.Equal(["completed", "refused", "completed", "refused"], cardio.Select(j => j.GetProperty("state").GetString()));
        Assert.Equal("completed", brca.GetProperty("state").GetString());

        // The two consortia's first jobs ran at the same time: each started before the other ended.
        Assert.True(Time(cardio[0], "started_at") < Time(brca, "ended_at") && Time(brca, "started_at") < Time(cardio[0], "ended_at"),
            $"cardiology {Time(cardio[0], "started_at"):O}-{Time(cardio[0], "ended_at"):O}, oncology {Time(brca, "started_at"):O}-{Time(brca, "ended_at"):O}");

        // The joined hospital: in cardiology's job after it joined, not in the one before.
        Assert.Equal(["cleveland", "hungarian", "switzerland"], Strings(cardio[0], "participants"));
        Assert.Equal(["cleveland", "hungarian", "switzerland", VirtualConsortiaDemo.Joiner], Strings(cardio[2], "participants"));
        Assert.Equal(["cleveland", "northeast", "south", "west"], Strings(brca, "participants"));
        Assert.Contains(VirtualConsortiaDemo.Joiner, cardioMembers);
        Assert.True(cardio[2].GetProperty("final").GetProperty("accuracy").GetDouble() > 0.6);
        // The oncology job is a few rounds of FedAvg on 4 small TCGA-BRCA sites, with the nodes' own randomness: its
        // C-index varies from run to run around 0.66 and has come out at or below 0.5, so only a released, valid
        // C-index is required here (its quality is measured by `bench flamby`).
        double cIndex = brca.GetProperty("final").GetProperty("c_index").GetDouble();
        Assert.True(cIndex is > 0 and <= 1, $"c_index {cIndex}");

        // Refusals: the job outside the agreement by the coordinator, naming the clause; the altered agreement by every member.
        (string Job, string Clause, string By)[] refusals = [.. consortia[0].GetProperty("refusals").EnumerateArray()
            .Select(r => (r.GetProperty("job").GetString()!, r.GetProperty("clause").GetString()!, r.GetProperty("by").GetString()!))];
        string breach = cardio[1].GetProperty("id").GetString()!, altered = cardio[3].GetProperty("id").GetString()!;
        Assert.Contains((breach, AgreementRules.Strategy, "coordinator"), refusals);
        Assert.Equal(cardioMembers.Order(StringComparer.Ordinal), refusals.Where(r => r.Job == altered && r.Clause == AgreementRules.Signatures).Select(r => r.By).Order(StringComparer.Ordinal));
        Assert.Empty(Strings(cardio[3], "participants"));
        Assert.Empty(consortia[1].GetProperty("refusals").EnumerateArray());
        Assert.All(summary.RootElement.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean(), c.GetProperty("detail").GetString()));

        // Each consortium's DUA and compliance report.
        foreach (string consortium in new[] { VirtualConsortiaDemo.Cardiology, VirtualConsortiaDemo.Oncology })
        {
            Assert.Contains("No row-level data leaves any member.", await File.ReadAllTextAsync(Path.Combine(output, consortium, "dua.md"), Cancel), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(output, consortium, "dua.html")));
            Assert.Contains($"# Compliance report: consortium {consortium}", await File.ReadAllTextAsync(Path.Combine(output, consortium, "compliance.md"), Cancel), StringComparison.Ordinal);
        }

        string report = await File.ReadAllTextAsync(Path.Combine(output, VirtualConsortiaDemo.Cardiology, "compliance.md"), Cancel);
        Assert.Contains($"| coordinator | {AgreementRules.Strategy} |", report, StringComparison.Ordinal);
        Assert.Contains("Version 2", report, StringComparison.Ordinal); // the agreement re-signed when the hospital joined
        Assert.True(File.Exists(Path.Combine(output, "summary.json")));
    }

    [Fact]
    public void AgreementFor_KeepsTheDemosMembers_WithTheirKeysAndNodeNames_AndTheVersion()
    {
        string example = File.ReadAllText(RepositoryPaths.Combine("examples", "virtual-consortia", "oncology-agreement.yaml"));
        Dictionary<string, string> keys = new(StringComparer.Ordinal)
        {
            ["northeast"] = new string('a', 64),
            ["cleveland"] = new string('b', 64),
        };

        string text = VirtualConsortiaDemo.AgreementFor(example, keys, 3, "oncology-agreement.yaml");
        ConsortiumAgreement agreement = AgreementLoader.Parse(text.Replace("quorum: 4", "quorum: all", StringComparison.Ordinal), "demo.yaml");

        Assert.Equal(3, agreement.Version);
        Assert.Equal(["northeast", "cleveland"], agreement.Members.Select(m => m.Site));
        Assert.Equal("Cleveland Clinic Foundation", agreement.Members[1].Organisation); // the example's Midwest member, served by the cleveland node
        Assert.Equal([new string('a', 64), new string('b', 64)], agreement.Members.Select(m => m.KeyFingerprint));
        Assert.DoesNotContain("placeholders", text, StringComparison.Ordinal);
    }

    private static string[] Strings(JsonElement element, string name) => [.. element.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];

    private static DateTimeOffset Time(JsonElement job, string name) => job.GetProperty(name).GetDateTimeOffset();
}
