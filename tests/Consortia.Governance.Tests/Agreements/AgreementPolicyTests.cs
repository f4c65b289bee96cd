using Consortia.Governance.Agreements;
using Consortia.Governance.Policies;
using Consortia.TestKit;

namespace Consortia.Governance.Tests.Agreements;

public sealed class AgreementPolicyTests : IDisposable
{
    private readonly Support.TempDirectory _dir = new();
    private readonly AgreementKit _kit;

    public AgreementPolicyTests() => _kit = new AgreementKit(_dir.Path);

    public void Dispose()
    {
        _kit.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Generate_WritesAPolicyTheLoaderReads_ImplementingEveryTermAPolicyCanExpress()
    {
        ConsortiumAgreement a = _kit.Agreement;
        string path = _dir.Write("policy.yaml", AgreementPolicy.Generate(a, "hungarian", "cardiology-agreement.yaml"));

        SitePolicy policy = SitePolicyLoader.Load(path);

        Assert.Equal("hungarian", policy.Site);
        Assert.Equal([a.Name], policy.Consortia);
        Assert.Equal(a.Training.Submitters, policy.Owners);
        Assert.Equal(a.Training.Models, policy.ModelKinds);
        Assert.Equal(a.Training.Strategies, policy.Strategies);
        Assert.Equal(new ProtectionPolicy(false, 1, new DifferentialPrivacyPolicy(false, null, 8, 20, 1e-5)), policy.Protections);
        Assert.Equal(new OutputPolicy(true, true, true, 10), policy.Outputs);
        Assert.Equal(a.Columns, policy.Columns);
        Assert.Equal(new AgreementReference(_kit.Path, _kit.SignaturesPath), policy.Agreement);
    }

    [Fact]
    public void Generate_StrictAgreement_RequiresSecureAggregationAndTheDpMode()
    {
        _kit.Edit("  secure_aggregation: false\n  min_sites_per_aggregate: 1\n  differential_privacy:\n    required: false\n", "  secure_aggregation: true\n  min_sites_per_aggregate: 3\n  differential_privacy:\n    required: true\n    mode: client-level\n");

        SitePolicy policy = SitePolicyLoader.Parse(AgreementPolicy.Generate(_kit.Agreement, "va", "/srv/agreement.yaml"), _dir.File("policy.yaml"));

        Assert.True(policy.Protections.SecureAggregationRequired);
        Assert.Equal(3, policy.Protections.MinSitesPerAggregate);
        Assert.Equal(DpMode.ClientLevel, policy.Protections.DifferentialPrivacy!.Mode);
        Assert.False(policy.Outputs.PlainUpdates);
        Assert.Equal("/srv/agreement.yaml", policy.Agreement!.File);
        Assert.Equal("/srv/agreement.signatures.json", policy.Agreement.Signatures);
    }

    [Fact]
    public void Generate_ForASiteThatIsNotAMember_IsRefused()
    {
        AgreementFileException error = Assert.Throws<AgreementFileException>(() => AgreementPolicy.Generate(_kit.Agreement, "pharma", "a.yaml"));

        Assert.Contains("not a member", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SitePolicy_AgreementSectionWithUnknownField_IsALocatedError()
    {
        string text = AgreementPolicy.Generate(_kit.Agreement, "va", "a.yaml") + "  signature: x.json\n";

        PolicyFileException error = Assert.Throws<PolicyFileException>(() => SitePolicyLoader.Parse(text, "policy.yaml"));

        Assert.Equal("agreement.signature", error.Field);
        Assert.Equal(text.Split('\n').Length - 1, error.Line);
    }
}
