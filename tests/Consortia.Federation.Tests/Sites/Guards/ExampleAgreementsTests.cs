using Consortia.Federation.Jobs;
using Consortia.Governance.Agreements;
using Consortia.Governance.Policies;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Sites.Guards;

/// <summary>The shipped example agreements match the shipped jobs: each job passes its consortium's agreement, and not the other's.</summary>
public sealed class ExampleAgreementsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("cardiology-agreement.yaml", "heart-disease", "fedavg.yaml", "cleveland")]
    [InlineData("cardiology-agreement.yaml", "heart-disease", "fedavg-secagg.yaml", "va")]
    [InlineData("cardiology-agreement.yaml", "heart-disease", "dp-sgd.yaml", "hungarian")]
    [InlineData("oncology-agreement.yaml", "tcga-brca", "fedavg.yaml", "Midwest")]
    public void TheShippedJob_PassesItsConsortiumsSignedAgreement(string agreement, string folder, string job, string site)
    {
        using AgreementKit kit = new AgreementKit(_dir.Path, agreement).Sign();
        JobDescriptor descriptor = JobFile.Load(RepositoryPaths.Combine("examples", folder, job)).Describe();

        PolicyDecision decision = AgreementEvaluator.Evaluate(kit.Status(), site, descriptor, null, AgreementKit.During, 0);

        Assert.True(decision.Accepted, string.Join("; ", decision.FailedRules.Select(r => $"{r.Rule}: {r.Reason}")));
    }

    [Fact]
    public void TheHeartJob_IsRefusedByTheOncologyAgreement_NamingEachClauseItBreaks()
    {
        using AgreementKit kit = new AgreementKit(_dir.Path, "oncology-agreement.yaml").Sign();
        JobDescriptor heart = JobFile.Load(RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml")).Describe();

        PolicyDecision decision = AgreementEvaluator.Evaluate(kit.Status(), "Midwest", heart, null, AgreementKit.During, 0);

        Assert.Equal(
            [AgreementRules.Consortium, AgreementRules.Purpose, AgreementRules.Submitter, AgreementRules.Task, AgreementRules.Model, AgreementRules.Data],
            decision.FailedRules.Select(r => r.Rule));
    }
}
