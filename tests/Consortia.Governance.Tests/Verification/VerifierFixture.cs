using Consortia.Governance.Tests.Support;

namespace Consortia.Governance.Tests.Verification;

/// <summary>One pristine scenario shared by the tests; each test tampers with its own copy.</summary>
public sealed class VerifierFixture : IDisposable
{
    private readonly TempDirectory _dir = new();

    public VerifierFixture()
    {
        Scenario = LedgerScenario.Write(_dir.Path, ["cleveland", "budapest", "zurich"], rounds: 2);
    }

    public LedgerScenario Scenario { get; }

    public string SitePath => Scenario.SitePaths["cleveland"];

    public void Dispose()
    {
        Scenario.Dispose();
        _dir.Dispose();
    }
}
