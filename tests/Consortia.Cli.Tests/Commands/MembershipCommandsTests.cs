using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Network.Node;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

/// <summary><c>consortia node leave</c>: the node of a hospital in two consortia leaves one; the ledger records it and the agreement's exit terms are shown.</summary>
public sealed class MembershipCommandsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Config()
    {
        using AgreementKit kit = new(_dir.Path);
        string config = _dir.File("site.yaml");
        File.WriteAllText(config, $"""
            site: cleveland
            coordinator: https://coordinator.example.org:7443
            state: state
            data:
              path: data
              site: cleveland
            consortia:
              - name: heart-consortium
                policy: heart-policy.yaml
                agreement:
                  file: {kit.Path}
              - name: tcga-brca-consortium
                policy: tcga-policy.yaml
            """);
        return config;
    }

    [Fact]
    public async Task Leave_RecordsTheDepartureInTheLedger_ShowsTheExitTerms_AndIsIdempotent()
    {
        string config = Config();

        (int exit, string output, string error) = await CliRunner.RunAsync("node", "leave", "--config", config, "--consortium", "heart-consortium", "--reason", "study closed");
        (int again, string againOutput, _) = await CliRunner.RunAsync("node", "leave", "--config", config, "--consortium", "heart-consortium");

        Assert.True(exit == 0, error);
        Assert.Contains("left heart-consortium: the node takes no new task of it", output, StringComparison.Ordinal);
        Assert.Contains("exit terms of 'heart-consortium' version 1: notice 90 days; models: ", output, StringComparison.Ordinal);
        Assert.Equal(0, again);
        Assert.Contains("already left heart-consortium at ", againOutput, StringComparison.Ordinal);
        ConfigurationChangeEvent left = Assert.Single(LedgerReader.Read(_dir.File(Path.Combine("state", "ledger.db"))).Entries.Select(e => e.Event).OfType<ConfigurationChangeEvent>());
        Assert.Equal(MembershipRecord.LedgerItem, left.Item);
        Assert.Contains("left consortium 'heart-consortium'", left.Description, StringComparison.Ordinal);
        Assert.True(File.Exists(_dir.File(Path.Combine("state", "consortia", "heart-consortium", "left.json"))));
    }

    [Fact]
    public async Task Leave_WithoutNamingOneOfSeveralConsortia_OrAnotherOne_IsRefused()
    {
        string config = Config();

        (int unnamed, _, string unnamedError) = await CliRunner.RunAsync("node", "leave", "--config", config);
        (int stranger, _, string strangerError) = await CliRunner.RunAsync("node", "leave", "--config", config, "--consortium", "dermatology");

        Assert.Equal(2, unnamed);
        Assert.Contains("name one with --consortium", unnamedError, StringComparison.Ordinal);
        Assert.Equal(2, stranger);
        Assert.Contains("does not serve consortium 'dermatology'", strangerError, StringComparison.Ordinal);
    }
}
