using Consortia.Network.Configuration;
using Consortia.TestKit;

namespace Consortia.Network.Tests.Configuration;

/// <summary>coordinator.yaml's <c>consortia:</c> list: paths resolved, defaults filled in, and every mistake named with file, line and field.</summary>
public sealed class ConsortiaConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string consortia)
    {
        File.WriteAllText(_dir.File("roster.json"), "{}");
        File.WriteAllText(_dir.File("agreement.yaml"), "name: x");
        string path = _dir.File("coordinator.yaml");
        File.WriteAllText(path, $"home: .\nround_timeout: 5m\nconsortia:\n{consortia}");
        return path;
    }

    [Fact]
    public void NoConsortia_IsTheSingleConsortiumCoordinator()
    {
        string path = _dir.File("coordinator.yaml");
        File.WriteAllText(path, "home: .\n");

        Assert.Empty(CoordinatorConfig.Load(path).Consortia);
    }

    [Fact]
    public void AConsortium_GetsAbsolutePaths_TheSignaturesBesideItsAgreement_AndItsOwnLedger()
    {
        CoordinatorConfig config = CoordinatorConfig.Load(Write("  - name: cardio\n    roster: roster.json\n    agreement: agreement.yaml\n"));

        ConsortiumConfig cardio = Assert.Single(config.Consortia);
        Assert.Equal(_dir.File("roster.json"), cardio.Roster);
        Assert.Equal(_dir.File("agreement.yaml"), cardio.Agreement);
        Assert.Equal(Governance.Agreements.AgreementSignatures.DefaultPath(_dir.File("agreement.yaml")), cardio.Signatures);
        Assert.Equal(Path.Combine(config.Home, "ledgers", "consortium-cardio.db"), cardio.Ledger);
    }

    [Theory]
    [InlineData("  - name: cardio\n    roster: roster.json\n    agreement: agreement.yaml\n  - name: \"bad/name\"\n    roster: roster.json\n    agreement: agreement.yaml\n", 7, "consortia[1].name: expected a consortium name")]
    [InlineData("  - name: cardio\n    roster: roster.json\n    agreement: agreement.yaml\n  - name: cardio\n    roster: roster.json\n    agreement: agreement.yaml\n", 7, "consortia[1].name: the consortium 'cardio' is listed twice")]
    [InlineData("  - name: cardio\n    agreement: agreement.yaml\n", 4, "consortia[0].roster: required")]
    [InlineData("  - name: cardio\n    roster: roster.json\n    agreement: missing.yaml\n", 6, "consortia[0].agreement: no such file")]
    public void AMistake_IsNamedWithFileLineAndField(string consortia, int line, string expected)
    {
        string path = Write(consortia);

        ConfigurationException error = Assert.Throws<ConfigurationException>(() => CoordinatorConfig.Load(path));

        Assert.StartsWith($"{path}:{line}: {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownField_IsNamedWithItsLine()
    {
        string path = Write("  - name: cardio\n    rooster: roster.json\n");

        ConfigurationException error = Assert.Throws<ConfigurationException>(() => CoordinatorConfig.Load(path));

        Assert.Contains($"{path}:5", error.Message, StringComparison.Ordinal);
        Assert.Contains("rooster", error.Message, StringComparison.Ordinal);
    }
}
