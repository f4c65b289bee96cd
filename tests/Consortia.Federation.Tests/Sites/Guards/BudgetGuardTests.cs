using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Guards;
using Consortia.Federation.Sites.Local;
using Consortia.Federation.Tests.Sites.Pipeline;
using Consortia.Learning;
using Consortia.Privacy.Budget;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Sites.Guards;

public sealed class BudgetGuardTests
{
    private static readonly SiteId s_site = new("a");

    private static ClientDpRound Round(double z) => new("job", ClipNorm: 1.0, ReportUnclippedBit: false, NoiseMultiplier: z, SampleRate: 1.0, Delta: 1e-5);

    private static (BudgetGuard Guard, SitePrivacyAccount Account) Create(PrivacyBudgetLedger? budget)
    {
        SitePrivacyAccount account = new(s_site, budget);
        return (new BudgetGuard(s_site, budget, new DpCalibration(100), account, new SiteAudit(null, "job")), account);
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
        (BudgetGuard guard, SitePrivacyAccount account) = Create(null);

        Refused refused = Assert.IsType<Refused>(guard.Check(Drafts.Task(Round(z))));

        Assert.Equal("dp-client-level", refused.Rule);
        Assert.Null(account.Report);
    }

    [Fact]
    public void Check_ClientLevelWithControlVariates_Refused()
    {
        (BudgetGuard guard, _) = Create(null);
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
}
