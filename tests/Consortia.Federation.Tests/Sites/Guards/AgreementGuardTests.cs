using Consortia.Data;
using Consortia.Data.Flamby;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Sites.Guards;

/// <summary>
/// A hospital of the cardiology consortium enforcing its signed agreement beside its own policy, through the real site
/// composition (<see cref="SiteBuilder"/>): the shipped heart-disease FedAvg job runs, a job outside the agreement is
/// refused by clause and the refusal is in the site's ledger.
/// </summary>
public sealed class AgreementGuardTests : IDisposable
{
    private static readonly string s_jobPath = RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml");
    private static readonly FederatedDataset s_heart = FlambyHeartDisease.Load(RepositoryPaths.Combine("data", "fed-heart-disease"));

    private readonly TempDirectory _dir = new();
    private readonly AgreementKit _kit;

    public AgreementGuardTests() => _kit = new AgreementKit(_dir.Path);

    public void Dispose()
    {
        _kit.Dispose();
        _dir.Dispose();
    }

    /// <summary>The policy <c>consortia agreement policy --site cleveland</c> writes, optionally edited by the site.</summary>
    private SitePolicy GeneratedPolicy(Func<string, string>? edit = null)
    {
        string text = AgreementPolicy.Generate(_kit.Agreement, "cleveland", Path.GetFileName(_kit.Path));
        return SitePolicyLoader.Parse(edit is null ? text : edit(text), Path.Combine(_dir.Path, "policy.yaml"));
    }

    private static JobDefinition Job(string? original = null, string? replacement = null)
    {
        string text = File.ReadAllText(s_jobPath);
        if (original is not null)
        {
            Assert.Contains(original, text, StringComparison.Ordinal);
            text = text.Replace(original, replacement!, StringComparison.Ordinal);
        }

        return JobFile.Parse(text, s_jobPath);
    }

    private static SiteAgent Site(JobDefinition job, SitePolicy policy, TimeProvider time, AuditLedger? ledger = null)
    {
        SiteData cleveland = s_heart.Sites.Single(s => s.Name == "cleveland");
        return new SiteBuilder
        {
            Job = job, Site = new SiteId("cleveland"), Train = cleveland.Train, Test = cleveland.Test, Task = s_heart.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(1)), Time = time, Policy = new PolicyEvaluator(policy), Audit = ledger,
        }.Build();
    }

    private static async Task<SiteReply> TrainAsync(SiteAgent agent, JobDefinition job)
    {
        ModelSpec spec = job.ModelFor(s_heart.Sites[0].Train.FeatureCount);
        TrainTask task = new(agent.Site, new RoundNumber(1), new ParameterVector(spec.CreateLayout()), job.Training) { Participants = 4, JobSha256 = job.ContentSha256 };
        return await agent.HandleAsync(task, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task TheShippedHeartDiseaseFedAvgJob_RunsUnderTheSignedCardiologyAgreement()
    {
        _kit.Sign();
        JobDefinition job = Job();
        using SiteAgent agent = Site(job, GeneratedPolicy(), new FakeTimeProvider(AgreementKit.During));

        SiteReply reply = await TrainAsync(agent, job);

        Assert.IsType<TrainingCompleted>(reply);
    }

    [Theory]
    [InlineData("purpose: cardiovascular-risk-prediction", "purpose: insurance-pricing", AgreementRules.Purpose)]
    [InlineData("purpose: cardiovascular-risk-prediction   # a purpose code of the consortium agreement (docs/agreement.md)\n", "", AgreementRules.Purpose)]
    [InlineData("kind: fedavg ", "kind: cyclic ", AgreementRules.Strategy)]
    public async Task AModifiedJobThatTheSitesOwnPolicyAllows_IsRefusedByTheAgreementClause_AndLedgered(string original, string replacement, string clause)
    {
        _kit.Sign();
        using EcdsaLedgerSigner key = EcdsaLedgerSigner.Generate();
        FakeTimeProvider time = new(AgreementKit.During);
        using AuditLedger ledger = AuditLedger.Open(Path.Combine(_dir.Path, "ledger.db"), "cleveland", LedgerRole.Site, key, time);
        JobDefinition job = Job(original, replacement);
        // The site's own policy is looser than the agreement (it also allows the cyclic strategy): the agreement still holds.
        SitePolicy policy = GeneratedPolicy(p => p.Replace("strategies: [", "strategies: [\"cyclic\", ", StringComparison.Ordinal));
        using SiteAgent agent = Site(job, policy, time, ledger);

        Refused refused = Assert.IsType<Refused>(await TrainAsync(agent, job));

        Assert.Equal(clause, refused.Rule);
        PolicyDecisionEvent recorded = ledger.ReadEntries().Select(e => e.Event).OfType<PolicyDecisionEvent>().Last(e => !e.Accepted);
        Assert.Contains(recorded.Rules, r => r.Rule == clause && !r.Passed);
        Assert.Equal(_kit.Agreement.Sha256, recorded.PolicySha256);
    }

    [Fact]
    public async Task AJobTheAgreementAllowsButTheSitesStricterPolicyRefuses_IsRefusedByThePolicy()
    {
        _kit.Sign();
        JobDefinition job = Job("kind: fedavg ", "kind: fedprox\n  mu: 0.01 ");
        SitePolicy strict = GeneratedPolicy(p => p.Replace("\"fedprox\", ", string.Empty, StringComparison.Ordinal));
        using SiteAgent agent = Site(job, strict, new FakeTimeProvider(AgreementKit.During));
        using SiteAgent underAgreementOnly = Site(job, GeneratedPolicy(), new FakeTimeProvider(AgreementKit.During));

        Refused refused = Assert.IsType<Refused>(await TrainAsync(agent, job));

        Assert.Equal(PolicyRules.Strategy, refused.Rule);
        Assert.IsType<TrainingCompleted>(await TrainAsync(underAgreementOnly, job));
    }

    [Fact]
    public async Task AnAgreementAlteredAfterSigning_IsRefusedByEveryJob()
    {
        _kit.Sign();
        SitePolicy policy = GeneratedPolicy();
        _kit.Edit("epsilon_per_job: 8.0", "epsilon_per_job: 9.0");
        JobDefinition job = Job();
        using SiteAgent agent = Site(job, policy, new FakeTimeProvider(AgreementKit.During));

        Refused refused = Assert.IsType<Refused>(await TrainAsync(agent, job));

        Assert.Equal(AgreementRules.Signatures, refused.Rule);
        Assert.Contains("altered after signing", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAgreementWithoutItsQuorum_IsNotInForce()
    {
        _kit.Sign("cleveland", "hungarian");
        JobDefinition job = Job();
        using SiteAgent agent = Site(job, GeneratedPolicy(), new FakeTimeProvider(AgreementKit.During));

        Refused refused = Assert.IsType<Refused>(await TrainAsync(agent, job));

        Assert.Equal(AgreementRules.Signatures, refused.Rule);
        Assert.Contains("missing: switzerland, va", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAgreementThatExpiresDuringAJob_RefusesTheNextRoundAndItsEvaluation()
    {
        _kit.Sign();
        JobDefinition job = Job();
        FakeTimeProvider time = new(new DateTimeOffset(2028, 12, 31, 22, 0, 0, TimeSpan.Zero));
        using SiteAgent agent = Site(job, GeneratedPolicy(), time);
        ModelSpec spec = job.ModelFor(s_heart.Sites[0].Train.FeatureCount);

        SiteReply before = await TrainAsync(agent, job);
        time.Advance(TimeSpan.FromHours(3));
        SiteReply after = await agent.HandleAsync(new TrainTask(agent.Site, new RoundNumber(2), new ParameterVector(spec.CreateLayout()), job.Training) { Participants = 4, JobSha256 = job.ContentSha256 }, TestContext.Current.CancellationToken);
        SiteReply evaluation = await agent.HandleAsync(new EvaluateTask(agent.Site, new RoundNumber(2), new ParameterVector(spec.CreateLayout())) { JobSha256 = job.ContentSha256 }, TestContext.Current.CancellationToken);

        Assert.IsType<TrainingCompleted>(before);
        Assert.Equal(AgreementRules.Validity, Assert.IsType<Refused>(after).Rule);
        Assert.Equal(AgreementRules.Validity, Assert.IsType<Refused>(evaluation).Rule);
    }

    [Fact]
    public async Task AMissingAgreementFile_RefusesEverything()
    {
        JobDefinition job = Job();
        SitePolicy policy = GeneratedPolicy(p => p.Replace("cardiology-agreement.yaml", "absent.yaml", StringComparison.Ordinal));
        using SiteAgent agent = Site(job, policy, new FakeTimeProvider(AgreementKit.During));

        Refused refused = Assert.IsType<Refused>(await TrainAsync(agent, job));

        Assert.Equal(AgreementRules.File, refused.Rule);
        Assert.Contains("does not exist", refused.Reason, StringComparison.Ordinal);
    }
}
