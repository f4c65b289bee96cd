using Consortia.Governance.Agreements;
using Consortia.Governance.Policies;
using Consortia.TestKit;

namespace Consortia.Governance.Tests.Agreements;

public sealed class AgreementEvaluatorTests : IDisposable
{
    private static readonly string[] s_columns = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak", "target"];

    /// <summary>The shipped heart-disease FedAvg job as the agreement sees it.</summary>
    private static readonly JobDescriptor s_job = new(
        "heart-disease-fedavg", "heart-consortium", "alice@lead-hospital.example.org", "logistic", "fedavg", false, 1, null,
        [KnownNames.PlainUpdates, KnownNames.AggregateMetrics], s_columns)
    { Purpose = "cardiovascular-risk-prediction", Rounds = 15 };

    private readonly Support.TempDirectory _dir = new();
    private readonly AgreementKit _kit;

    public AgreementEvaluatorTests() => _kit = new AgreementKit(_dir.Path);

    public void Dispose()
    {
        _kit.Dispose();
        _dir.Dispose();
    }

    public static TheoryData<string, string> OutsideTheAgreement() => new()
    {
        { "purpose", AgreementRules.Purpose },
        { "no-purpose", AgreementRules.Purpose },
        { "consortium", AgreementRules.Consortium },
        { "owner", AgreementRules.Submitter },
        { "cox", AgreementRules.Task + "," + AgreementRules.Model }, // a Cox model is outside both the tasks and the model kinds
        { "strategy", AgreementRules.Strategy },
        { "column", AgreementRules.Data },
        { "dp-epsilon", AgreementRules.EpsilonPerJob },
        { "dp-delta", AgreementRules.Dp },
        { "per-patient", AgreementRules.Outputs },
    };

    [Fact]
    public void Evaluate_TheShippedJobUnderTheSignedAgreement_PassesEveryClause()
    {
        PolicyDecision decision = AgreementEvaluator.Evaluate(_kit.Sign().Status(), "cleveland", s_job, null, AgreementKit.During, 0);

        Assert.True(decision.Accepted, string.Join("; ", decision.FailedRules.Select(r => r.Rule + ": " + r.Reason)));
        Assert.Equal(16, decision.Rules.Count);
        Assert.All(decision.Rules, r => Assert.StartsWith("agreement-", r.Rule, StringComparison.Ordinal));
        Assert.Equal(_kit.Agreement.Sha256, decision.PolicySha256);
    }

    [Theory]
    [MemberData(nameof(OutsideTheAgreement))]
    public void Evaluate_JobOutsideAClause_IsRefusedNamingExactlyTheClausesItBreaks(string change, string rule)
    {
        JobDescriptor job = change switch
        {
            "purpose" => s_job with { Purpose = "marketing" },
            "no-purpose" => s_job with { Purpose = null },
            "consortium" => s_job with { Consortium = "oncology" },
            "owner" => s_job with { Owner = "mallory@pharma.example.com" },
            "cox" => s_job with { ModelKind = "cox" },
            "strategy" => s_job with { Strategy = "cyclic" },
            "column" => s_job with { Columns = [.. s_columns, "ssn"] },
            "dp-epsilon" => s_job with { Dp = new DpDescriptor(DpMode.SampleLevel, 8.5, 1e-5) },
            "dp-delta" => s_job with { Dp = new DpDescriptor(DpMode.SampleLevel, 1, 1e-3) },
            "per-patient" => s_job with { Outputs = [.. s_job.Outputs, "per-patient-predictions"] },
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };

        PolicyDecision decision = AgreementEvaluator.Evaluate(_kit.Sign().Status(), "cleveland", job, null, AgreementKit.During, 0);

        Assert.False(decision.Accepted);
        Assert.Equal(rule.Split(','), decision.FailedRules.Select(r => r.Rule));
    }

    [Fact]
    public void Evaluate_ModelKindOutsideTheAgreement_NamesTheModelClause()
    {
        _kit.Edit("models: [logistic, mlp]", "models: [logistic]");

        PolicyDecision decision = AgreementEvaluator.Evaluate(_kit.Sign().Status(), "cleveland", s_job with { ModelKind = "mlp" }, null, AgreementKit.During, 0);

        Assert.Equal([AgreementRules.Model], decision.FailedRules.Select(r => r.Rule));
    }

    [Fact]
    public void Evaluate_ProtectionsBelowTheMinimum_AreRefused()
    {
        _kit.Edit("  secure_aggregation: false\n  min_sites_per_aggregate: 1\n  differential_privacy:\n    required: false\n", "  secure_aggregation: true\n  min_sites_per_aggregate: 3\n  differential_privacy:\n    required: true\n    mode: client-level\n");
        AgreementStatus status = _kit.Sign().Status();

        PolicyDecision plain = AgreementEvaluator.Evaluate(status, "cleveland", s_job, null, AgreementKit.During, 0);
        PolicyDecision sampleLevel = AgreementEvaluator.Evaluate(status, "cleveland", s_job with { SecureAggregation = true, MinSitesPerAggregate = 3, Dp = new DpDescriptor(DpMode.SampleLevel, 1, 1e-5) }, null, AgreementKit.During, 0);
        PolicyDecision compliant = AgreementEvaluator.Evaluate(status, "cleveland", s_job with { SecureAggregation = true, MinSitesPerAggregate = 3, Dp = new DpDescriptor(DpMode.ClientLevel, 1, 1e-5) }, null, AgreementKit.During, 0);

        Assert.Equal([AgreementRules.SecureAggregation, AgreementRules.MinSites, AgreementRules.Dp], plain.FailedRules.Select(r => r.Rule));
        Assert.Equal([AgreementRules.Dp], sampleLevel.FailedRules.Select(r => r.Rule));
        Assert.Contains("requires client-level", sampleLevel.FailedRules.Single().Reason, StringComparison.Ordinal);
        Assert.True(compliant.Accepted);
    }

    [Fact]
    public void Evaluate_LifetimeEpsilonOfTheMember_IsCappedAcrossJobs()
    {
        JobDescriptor dp = s_job with { Dp = new DpDescriptor(DpMode.SampleLevel, 6, 1e-5) };
        AgreementStatus status = _kit.Sign().Status();

        PolicyDecision first = AgreementEvaluator.Evaluate(status, "cleveland", dp, null, AgreementKit.During, 12);
        PolicyDecision third = AgreementEvaluator.Evaluate(status, "cleveland", dp, null, AgreementKit.During, 18);

        Assert.True(first.Accepted);
        Assert.Equal([AgreementRules.EpsilonLifetime], third.FailedRules.Select(r => r.Rule));
        Assert.Contains("above the agreement's cap of 20", third.FailedRules.Single().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NotInForce_NamesSignaturesValidityOrMembership()
    {
        PolicyDecision unsigned = AgreementEvaluator.Evaluate(_kit.Sign("cleveland").Status(), "cleveland", s_job, null, AgreementKit.During, 0);
        AgreementStatus signed = _kit.Sign().Status();
        PolicyDecision expired = AgreementEvaluator.Evaluate(signed, "cleveland", s_job, null, new DateTimeOffset(2029, 1, 1, 0, 0, 0, TimeSpan.Zero), 0);
        PolicyDecision stranger = AgreementEvaluator.Evaluate(signed, "pharma-lab", s_job, null, AgreementKit.During, 0);

        Assert.Equal([AgreementRules.Signatures], unsigned.FailedRules.Select(r => r.Rule));
        Assert.Equal([AgreementRules.Validity], expired.FailedRules.Select(r => r.Rule));
        Assert.Contains("2029-01-01 is outside the agreement's validity (2026-01-01 to 2028-12-31)", expired.FailedRules.Single().Reason, StringComparison.Ordinal);
        Assert.Equal([AgreementRules.Member], stranger.FailedRules.Select(r => r.Rule));
    }

    [Fact]
    public void Evaluate_SitePolicyReleasingSmallerCellsThanAgreed_IsRefusedUntilTheSiteRaisesIt()
    {
        SitePolicy loose = SitePolicyLoader.Parse(AgreementPolicy.Generate(_kit.Agreement, "cleveland", _kit.Path).Replace("min_cell_count: 10", "min_cell_count: 5", StringComparison.Ordinal), _dir.File("policy.yaml"));
        SitePolicy strict = loose with { Outputs = loose.Outputs with { MinCellCount = 20 } };
        AgreementStatus status = _kit.Sign().Status();

        PolicyDecision refused = AgreementEvaluator.Evaluate(status, "cleveland", s_job, loose, AgreementKit.During, 0);

        Assert.Equal([AgreementRules.Outputs], refused.FailedRules.Select(r => r.Rule));
        Assert.Contains("the agreement requires at least 10", refused.FailedRules.Single().Reason, StringComparison.Ordinal);
        Assert.True(AgreementEvaluator.Evaluate(status, "cleveland", s_job, strict, AgreementKit.During, 0).Accepted);
    }
}
