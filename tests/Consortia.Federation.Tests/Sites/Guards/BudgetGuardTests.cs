using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Guards;
using Consortia.Federation.Sites.Local;
using Consortia.Federation.Tests.Sites.Pipeline;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Learning;
using Consortia.Privacy.Accounting;
using Consortia.Privacy.Budget;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Distributed;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Sites.Guards;

public sealed class BudgetGuardTests
{
    private static readonly SiteId s_site = new("a");

    private static ClientDpRound Round(double z) => new("job", ClipNorm: 1.0, ReportUnclippedBit: false, NoiseMultiplier: z, SampleRate: 1.0, Delta: 1e-5);

    private static PrivacyBudgetLedger Ledger(TempDirectory temp, double epsilon) =>
        PrivacyBudgetLedger.OpenOrCreate(new PrivacyBudgetLedgerOptions { Path = temp.File("budget.db"), Budget = new LifetimeBudget(epsilon, 1e-5) }, new FakeTimeProvider());

    private static (BudgetGuard Guard, SitePrivacyAccount Account) Create(PrivacyBudgetLedger? budget, ClientDpSettings? clientDp = null)
    {
        SitePrivacyAccount account = new(s_site, budget, "job");
        return (new BudgetGuard(s_site, budget, null, new DpCalibration(100), new DistributedCalibration(clientDp), account, new SiteAudit(null, "job")), account);
    }

    /// <summary>
    /// Distributed noise: the site books the RDP curve of the mechanism it runs (from its own calibration, the one the
    /// noise stage uses), not the Gaussian of z, and its report gives that mechanism's ε per round and per job.
    /// </summary>
    [Theory]
    [InlineData(DistributedMechanism.DiscreteGaussian, "distributed_discrete_gaussian")]
    [InlineData(DistributedMechanism.Skellam, "distributed_skellam")]
    public void Check_DistributedRounds_ChargeTheMechanismsOwnEpsilon(DistributedMechanism mechanism, string name)
    {
        using TempDirectory temp = new();
        using PrivacyBudgetLedger budget = Ledger(temp, 100);
        ClientDpSettings settings = new(new ClientLevelDpOptions { NoiseMultiplier = 2.0, Mechanism = mechanism }, "job", 3) { SecureAggregation = new SecureAggregationSettings() };
        (BudgetGuard guard, SitePrivacyAccount account) = Create(budget, settings);
        TrainTask task = Drafts.Task(Round(2.0), Drafts.Session());
        DistributedDpParameters parameters = DistributedDp.Calibrate(settings.Options, Drafts.Layout.Length, 3, 2, 1.0, 3); // 3 participants, threshold 2

        Assert.Null(guard.Check(task));
        Assert.Null(guard.Check(task with { Round = new RoundNumber(2) }));

        ChargeRecord charge = budget.GetCharges("job")[^1];
        Assert.Equal(name, charge.Mechanism);
        Assert.Equal(DistributedDp.RoundCurve(parameters, budget.Grid.Orders), charge.Rdp);
        double perRound = RdpConverter.ToEpsilon(budget.Grid.Orders, DistributedDp.RoundCurve(parameters, budget.Grid.Orders), 1e-5).Epsilon;
        double twoRounds = RdpConverter.ToEpsilon(budget.Grid.Orders, [.. DistributedDp.RoundCurve(parameters, budget.Grid.Orders).Select(r => 2 * r)], 1e-5).Epsilon;
        SitePrivacyReport report = account.Report!;
        Assert.Equal(name, report.Mechanism);
        Assert.Equal(perRound, report.RoundEpsilon, 12);
        Assert.Equal(twoRounds, report.Epsilon, 12);
        Assert.Equal(2, report.Steps);

        // A restarted site restores its account from its saved entries and reports the same, from its durable ledger.
        SitePrivacyAccount restored = new(s_site, budget, "job");
        restored.Restore(account.Entries);
        Assert.Equal(report, restored.Report);

        // The Gaussian of z would book a different (smaller: no rounding inflation, no τ) ε.
        RdpAccountant gaussian = new();
        gaussian.AddSampledGaussian(1.0, 2.0, 2);
        Assert.True(report.Epsilon > gaussian.GetEpsilon(1e-5).Epsilon, $"{report.Epsilon} vs Gaussian {gaussian.GetEpsilon(1e-5).Epsilon}");
    }

    [Fact]
    public void Check_DistributedJobWithoutASecureSession_RefusedBeforeCharging()
    {
        using TempDirectory temp = new();
        using PrivacyBudgetLedger budget = Ledger(temp, 100);
        ClientDpSettings settings = new(new ClientLevelDpOptions { NoiseMultiplier = 2.0 }, "job", 3) { SecureAggregation = new SecureAggregationSettings() };
        (BudgetGuard guard, _) = Create(budget, settings);

        Assert.Equal("dp-calibration", guard.Check(Drafts.Task(Round(2.0)))?.Rule);
        Assert.Equal(0, budget.GetSpent().ChargeCount);
    }

    [Fact]
    public void Check_ClientLevelRounds_ChargedUntilTheLifetimeBudgetWouldBeExceeded()
    {
        using TempDirectory temp = new();
        using PrivacyBudgetLedger budget = PrivacyBudgetLedger.OpenOrCreate(new PrivacyBudgetLedgerOptions { Path = temp.File("budget.db"), Budget = new LifetimeBudget(3.0, 1e-5) }, new FakeTimeProvider());
        (BudgetGuard guard, SitePrivacyAccount account) = Create(budget);

        List<Refused?> outcomes = [.. Enumerable.Range(1, 40).Select(round => guard.Check(Drafts.Task(Round(5.0)) with { Round = new RoundNumber(round) }))];

        Assert.Null(outcomes[0]);
        int firstRefused = outcomes.FindIndex(o => o is not null);
        Assert.True(firstRefused > 0, "a budget of ε = 3 allows some rounds of z = 5 and refuses a later one");
        Assert.Equal("dp-budget", outcomes[firstRefused]!.Rule);
        Assert.All(outcomes.Skip(firstRefused), o => Assert.Equal("dp-budget", o?.Rule));
        Assert.Equal(firstRefused, account.Report!.Steps); // only the charged rounds are accounted
        Assert.True(budget.GetSpent().Epsilon <= 3.0);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    public void Check_InvalidClientLevelSettings_RefusedBeforeCharging(double z)
    {
        using TempDirectory temp = new();
        using PrivacyBudgetLedger budget = Ledger(temp, 10);
        (BudgetGuard guard, SitePrivacyAccount account) = Create(budget);

        Refused refused = Assert.IsType<Refused>(guard.Check(Drafts.Task(Round(z))));

        Assert.Equal("dp-client-level", refused.Rule);
        Assert.Null(account.Report);
    }

    [Fact]
    public void Check_ClientLevelWithControlVariates_Refused()
    {
        using TempDirectory temp = new();
        using PrivacyBudgetLedger budget = Ledger(temp, 10);
        (BudgetGuard guard, _) = Create(budget);
        TrainTask task = Drafts.Task(Round(1.0)) with { ControlVariate = new ParameterVector(Drafts.Layout) };

        Assert.Equal("dp-client-level", guard.Check(task)?.Rule);
    }

    [Fact]
    public void Check_WithoutDp_LetsTheTaskThrough()
    {
        (BudgetGuard guard, SitePrivacyAccount account) = Create(null);

        Assert.Null(guard.Check(Drafts.Task()));
        Assert.Null(account.Report);
    }

    [Fact]
    public void Check_DpWithoutABudget_RefusedWithTheReason()
    {
        (BudgetGuard guard, SitePrivacyAccount account) = Create(null);
        BudgetGuard withProblem = new(s_site, null, "the file stores a different budget", new DpCalibration(100), new DistributedCalibration(null), new SitePrivacyAccount(s_site, null, "job"), new SiteAudit(null, "job"));

        Refused refused = Assert.IsType<Refused>(guard.Check(Drafts.Task(Round(1.0))));
        Refused mismatch = Assert.IsType<Refused>(withProblem.Check(Drafts.Task(Round(1.0))));

        Assert.Equal("dp-budget", refused.Rule);
        Assert.Equal(BudgetGuard.NoBudget, refused.Reason);
        Assert.Equal("dp-budget", mismatch.Rule);
        Assert.Contains("the file stores a different budget", mismatch.Reason, StringComparison.Ordinal);
        Assert.Null(account.Report);
    }

    [Fact]
    public void Check_SampleLevelFixedSizeBatches_Refused()
    {
        using TempDirectory temp = new();
        using PrivacyBudgetLedger budget = Ledger(temp, 10);
        (BudgetGuard guard, _) = Create(budget);
        SiteDpSettings dp = new(new Privacy.DpSgd.DpSgdOptions { NoiseMultiplier = 1, Sampling = Privacy.DpSgd.BatchSampling.FixedSize }, "job", 3);

        Assert.Equal("dp-poisson-sampling", guard.Check(Drafts.Task() with { Dp = dp })?.Rule);
        Assert.Equal(0, budget.GetSpent().ChargeCount);
    }

    [Fact]
    public void Preview_GivesTheJobAndLifetimeEpsilonAfterTheRound_WithoutCharging()
    {
        using TempDirectory temp = new();
        using PrivacyBudgetLedger budget = Ledger(temp, 10);
        (BudgetGuard guard, _) = Create(budget);
        TrainTask task = Drafts.Task(Round(2.0));

        (double? job, double? lifetime) = guard.Preview(task);

        Assert.Equal(0, budget.GetSpent().ChargeCount);
        Assert.Null(guard.Check(task));
        Assert.Equal(budget.GetJobSpent("job").Epsilon, job!.Value, 12);
        Assert.Equal(budget.GetSpent().Epsilon, lifetime!.Value, 12);
        Assert.Equal((null, null), guard.Preview(Drafts.Task()));
    }

    [Fact]
    public void Check_ClientLevelUnderAQuantisationCoarserThanTheClip_Refused()
    {
        using TempDirectory temp = new();
        using PrivacyBudgetLedger budget = Ledger(temp, 10);
        (BudgetGuard guard, _) = Create(budget);
        // clip_range 10⁹ in a 32-bit ring over 3 summands: one step is about 3.7, so step·√3 ≈ 6.5 is above C = 1.
        Consortia.Federation.SecureAggregation.SecureTrainingSession coarse = Drafts.Session() with { Quantization = new Consortia.SecureAggregation.Quantization.FixedPointOptions { ClipRange = 1e9, MaxSummands = 3 } };

        Assert.Equal("dp-quantisation", guard.Check(Drafts.Task(Round(1.0), coarse))?.Rule);
        Assert.Null(guard.Check(Drafts.Task(Round(1.0), Drafts.Session())));
    }
}
