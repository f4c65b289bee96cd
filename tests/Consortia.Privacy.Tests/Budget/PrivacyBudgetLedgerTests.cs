using System.Globalization;
using System.Text.Json;
using Consortia.Privacy.Accounting;
using Consortia.Privacy.Budget;
using Consortia.TestKit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Privacy.Tests.Budget;

public sealed class PrivacyBudgetLedgerTests : IDisposable
{
    private const double Delta = 1e-5;
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 8, 30, 0, TimeSpan.Zero);

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(s_start);

    public void Dispose() => _temp.Dispose();

    private string LedgerPath => _temp.File("site-budget.db");

    private PrivacyBudgetLedger CreateSut(double epsilonLimit = 8.0) =>
        PrivacyBudgetLedger.Create(new PrivacyBudgetLedgerOptions { Path = LedgerPath, Budget = new LifetimeBudget(epsilonLimit, Delta) }, _time);

    private static double Epsilon(params (double Q, double Z, long Steps)[] entries)
    {
        RdpAccountant accountant = new(RdpOrderGrid.OpacusExtended);
        foreach ((double q, double z, long steps) in entries)
        {
            accountant.AddSampledGaussian(q, z, steps);
        }

        return accountant.GetEpsilon(Delta).Epsilon;
    }

    [Fact]
    public void Preview_GivesTheJobAndLifetimeEpsilonAfterTheCharge_AndRecordsNothing()
    {
        using PrivacyBudgetLedger ledger = CreateSut();
        Assert.IsType<ChargeOutcome.Accepted>(ledger.TryCharge(new PrivacyCharge.SampledGaussian("other", 1, 0.01, 1.1, 100)));
        Assert.IsType<ChargeOutcome.Accepted>(ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 1, 0.01, 1.1, 100)));

        ChargePreview preview = ledger.Preview(new PrivacyCharge.SampledGaussian("job", 2, 0.01, 1.1, 100));

        Assert.Equal(2, ledger.GetSpent().ChargeCount);
        Assert.Equal(Epsilon((0.01, 1.1, 200)), preview.JobEpsilon, 1e-12);
        Assert.Equal(Epsilon((0.01, 1.1, 300)), preview.LifetimeEpsilon, 1e-12);
        Assert.Equal(8.0, preview.EpsilonLimit);
    }

    [Fact]
    public void TryOpenOrCreate_FileHoldingAnotherBudget_ReportsTheProblemInsteadOfThrowing()
    {
        CreateSut(8.0).Dispose();

        bool opened = PrivacyBudgetLedger.TryOpenOrCreate(new PrivacyBudgetLedgerOptions { Path = LedgerPath, Budget = new LifetimeBudget(5.0, Delta) }, _time, out PrivacyBudgetLedger? ledger, out string? problem);
        bool same = PrivacyBudgetLedger.TryOpenOrCreate(new PrivacyBudgetLedgerOptions { Path = LedgerPath, Budget = new LifetimeBudget(8.0, Delta) }, _time, out PrivacyBudgetLedger? reopened, out string? none);

        Assert.False(opened);
        Assert.Null(ledger);
        Assert.Contains("different budget", problem, StringComparison.Ordinal);
        Assert.True(same);
        Assert.Null(none);
        reopened!.Dispose();
    }

    [Fact]
    public void TryCharge_WithinBudget_RecordsRowWithParametersEpsilonAndTime()
    {
        using PrivacyBudgetLedger ledger = CreateSut();
        _time.Advance(TimeSpan.FromMinutes(5));

        ChargeOutcome outcome = ledger.TryCharge(new PrivacyCharge.SampledGaussian("job-1", 3, 0.01, 1.1, 100));

        ChargeOutcome.Accepted accepted = Assert.IsType<ChargeOutcome.Accepted>(outcome);
        ChargeRecord record = accepted.Record;
        Assert.Equal(("job-1", 3, "sampled_gaussian"), (record.JobId, record.Round, record.Mechanism));
        Assert.Equal(s_start.AddMinutes(5), record.ChargedAt);
        Assert.Equal(Epsilon((0.01, 1.1, 100)), record.Epsilon, 1e-12);
        Assert.Equal(record.Epsilon, accepted.Spent.Epsilon, 1e-12);
        Assert.Null(record.ChargeDelta);
        Assert.Equal(RdpOrderGrid.OpacusExtended.Count, record.Rdp!.Count);
        using JsonDocument parameters = JsonDocument.Parse(record.ParametersJson);
        Assert.Equal(0.01, parameters.RootElement.GetProperty("sample_rate").GetDouble());
        Assert.Equal(1.1, parameters.RootElement.GetProperty("noise_multiplier").GetDouble());
        Assert.Equal(100, parameters.RootElement.GetProperty("steps").GetInt64());
        ChargeRecord stored = Assert.Single(ledger.GetCharges());
        Assert.Equal(record with { Rdp = null }, stored with { Rdp = null });
        Assert.Equal(record.Rdp, stored.Rdp);
    }

    [Fact]
    public void TryCharge_ManyRounds_ComposesByRdpNotBySummingEpsilons()
    {
        using PrivacyBudgetLedger ledger = CreateSut();
        double sumOfEpsilons = 0;

        for (int round = 0; round < 10; round++)
        {
            ChargeOutcome.Accepted accepted = Assert.IsType<ChargeOutcome.Accepted>(ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", round, 0.01, 1.1, 100)));
            sumOfEpsilons += accepted.Record.Epsilon;
        }

        BudgetSpent spent = ledger.GetSpent();
        Assert.Equal(Epsilon((0.01, 1.1, 1000)), spent.Epsilon, 1e-9);
        Assert.True(spent.Epsilon < sumOfEpsilons / 3, $"composed {spent.Epsilon} vs summed {sumOfEpsilons}");
        Assert.Equal(10, spent.ChargeCount);
        Assert.NotNull(spent.Order);
        Assert.Equal(8.0 - spent.Epsilon, spent.RemainingEpsilon, 1e-12);
    }

    [Fact]
    public void GetJobSpent_TwoJobs_EachComposedAloneAndLifetimeComposedTogether()
    {
        using PrivacyBudgetLedger ledger = CreateSut();

        ledger.TryCharge(new PrivacyCharge.SampledGaussian("a", 0, 0.02, 1.0, 200));
        ledger.TryCharge(new PrivacyCharge.SampledGaussian("b", 0, 0.1, 2.0, 50));
        ledger.TryCharge(new PrivacyCharge.SampledGaussian("a", 1, 0.02, 1.0, 300));

        Assert.Equal(Epsilon((0.02, 1.0, 500)), ledger.GetJobSpent("a").Epsilon, 1e-9);
        Assert.Equal(Epsilon((0.1, 2.0, 50)), ledger.GetJobSpent("b").Epsilon, 1e-9);
        Assert.Equal(Epsilon((0.02, 1.0, 500), (0.1, 2.0, 50)), ledger.GetSpent().Epsilon, 1e-9);
        Assert.Equal(0.0, ledger.GetJobSpent("none").Epsilon);
        Assert.Equal(2, ledger.GetCharges("a").Count);
    }

    [Fact]
    public void TryCharge_ExceedingBudget_RefusesWithSpentRequestedAndLimit_AndRecordsNothing()
    {
        using PrivacyBudgetLedger ledger = CreateSut(epsilonLimit: 2.0);
        Assert.IsType<ChargeOutcome.Accepted>(ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 0, 0.01, 1.1, 1000)));
        BudgetSpent before = ledger.GetSpent();

        ChargeOutcome outcome = ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 1, 0.01, 1.1, 1000));

        ChargeOutcome.Refused refused = Assert.IsType<ChargeOutcome.Refused>(outcome);
        Assert.Equal(before.Epsilon, refused.SpentEpsilon, 1e-12);
        Assert.Equal(Epsilon((0.01, 1.1, 1000)), refused.RequestedEpsilon, 1e-9);
        Assert.Equal(Epsilon((0.01, 1.1, 2000)), refused.ResultingEpsilon, 1e-9);
        Assert.Equal(2.0, refused.EpsilonLimit);
        Assert.Contains("Spent ε = " + before.Epsilon.ToString("G6", CultureInfo.InvariantCulture), refused.Message, StringComparison.Ordinal);
        Assert.Contains("requested ε = " + refused.RequestedEpsilon.ToString("G6", CultureInfo.InvariantCulture), refused.Message, StringComparison.Ordinal);
        Assert.Contains("limit ε = 2", refused.Message, StringComparison.Ordinal);
        Assert.Single(ledger.GetCharges());
        Assert.Equal(before, ledger.GetSpent());
    }

    [Fact]
    public void Reopen_AfterDispose_KeepsChargesAndStillRefuses()
    {
        ChargeRecord first;
        using (PrivacyBudgetLedger ledger = CreateSut(epsilonLimit: 3.0))
        {
            first = Assert.IsType<ChargeOutcome.Accepted>(ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 0, 0.01, 1.1, 1000))).Record;
        }

        _time.Advance(TimeSpan.FromDays(1));
        using PrivacyBudgetLedger reopened = PrivacyBudgetLedger.Open(LedgerPath, _time);

        Assert.Equal(new LifetimeBudget(3.0, Delta), reopened.Budget);
        Assert.Equal("opacus_extended", reopened.Grid.Name);
        Assert.Equal(RdpConversion.Balle2020, reopened.Conversion);
        ChargeRecord stored = Assert.Single(reopened.GetCharges());
        Assert.Equal(first with { Rdp = null }, stored with { Rdp = null });
        Assert.Equal(first.Rdp, stored.Rdp);
        Assert.Equal(first.Epsilon, reopened.GetSpent().Epsilon, 1e-12);
        ChargeOutcome.Refused refused = Assert.IsType<ChargeOutcome.Refused>(reopened.TryCharge(new PrivacyCharge.SampledGaussian("job", 1, 0.01, 1.1, 3000)));
        Assert.True(refused.ResultingEpsilon > 3.0);
        Assert.IsType<ChargeOutcome.Accepted>(reopened.TryCharge(new PrivacyCharge.SampledGaussian("job", 1, 0.01, 1.1, 100)));
    }

    [Fact]
    public void TryCharge_WriteFailsMidTransaction_RecordsNothing()
    {
        using (PrivacyBudgetLedger ledger = CreateSut())
        {
            ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 0, 0.01, 1.0, 10));
        }

        // Make the second statement of the charge's transaction (the totals update) fail after the row insert.
        ExecuteRaw("CREATE TRIGGER fail_totals BEFORE UPDATE ON ledger_totals BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
        using (PrivacyBudgetLedger ledger = PrivacyBudgetLedger.Open(LedgerPath, _time))
        {
            SqliteException error = Assert.Throws<SqliteException>(() => ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 1, 0.01, 1.0, 10)));
            Assert.Contains("injected failure", error.Message, StringComparison.Ordinal);
            Assert.Single(ledger.GetCharges());
        }

        ExecuteRaw("DROP TRIGGER fail_totals;");
        using PrivacyBudgetLedger reopened = PrivacyBudgetLedger.Open(LedgerPath, _time);
        Assert.Single(reopened.GetCharges());
        Assert.Equal(Epsilon((0.01, 1.0, 10)), reopened.GetSpent().Epsilon, 1e-12);
    }

    [Fact]
    public void Open_RowDeletedBehindTheLedgersBack_ThrowsInconsistent()
    {
        using (PrivacyBudgetLedger ledger = CreateSut())
        {
            ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 0, 0.01, 1.0, 10));
            ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 1, 0.01, 1.0, 10));
        }

        ExecuteRaw("DELETE FROM charges WHERE seq = 2;");

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => PrivacyBudgetLedger.Open(LedgerPath, _time));
        Assert.Contains("inconsistent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NotALedger_ThrowsInvalidData()
    {
        File.WriteAllText(LedgerPath, "this is not an SQLite database, just text that is long enough to have a header");

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => PrivacyBudgetLedger.Open(LedgerPath, _time));

        Assert.Contains(LedgerPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_EmptySqliteDatabase_ThrowsNamingSchema()
    {
        ExecuteRaw("CREATE TABLE unrelated (x INTEGER);");

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => PrivacyBudgetLedger.Open(LedgerPath, _time));

        Assert.Contains("schema version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_Missing_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => PrivacyBudgetLedger.Open(LedgerPath, _time));
    }

    [Fact]
    public void Create_Existing_Throws()
    {
        CreateSut().Dispose();

        Assert.Throws<InvalidOperationException>(() => CreateSut());
    }

    [Fact]
    public void OpenOrCreate_SameBudget_Opens_DifferentBudget_Refuses()
    {
        PrivacyBudgetLedgerOptions options = new() { Path = LedgerPath, Budget = new LifetimeBudget(4.0, Delta) };
        using (PrivacyBudgetLedger created = PrivacyBudgetLedger.OpenOrCreate(options, _time))
        {
            created.TryCharge(new PrivacyCharge.SampledGaussian("job", 0, 0.05, 1.0, 10));
        }

        using (PrivacyBudgetLedger opened = PrivacyBudgetLedger.OpenOrCreate(options, _time))
        {
            Assert.Single(opened.GetCharges());
        }

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(
            () => PrivacyBudgetLedger.OpenOrCreate(options with { Budget = new LifetimeBudget(40.0, Delta) }, _time));
        Assert.Contains("budget", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCharge_ApproximateDp_BasicCompositionAddsEpsilonAndTakesDelta()
    {
        using PrivacyBudgetLedger ledger = CreateSut();
        ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 0, 0.01, 1.1, 1000));

        ChargeOutcome.Accepted accepted = Assert.IsType<ChargeOutcome.Accepted>(
            ledger.TryCharge(new PrivacyCharge.ApproximateDp("job", 1, "laplace_count", """{"scale":2.0}""", 0.5, 2e-6)));

        RdpAccountant accountant = new(RdpOrderGrid.OpacusExtended);
        accountant.AddSampledGaussian(0.01, 1.1, 1000);
        double expected = accountant.GetEpsilon(Delta - 2e-6).Epsilon + 0.5;
        Assert.Equal(expected, accepted.Spent.Epsilon, 1e-9);
        Assert.Equal(0.5, accepted.Record.Epsilon);
        Assert.Equal(2e-6, accepted.Record.ChargeDelta);
        Assert.Null(accepted.Record.Rdp);
    }

    [Fact]
    public void TryCharge_ApproximateDpExhaustingDelta_Refused()
    {
        using PrivacyBudgetLedger ledger = CreateSut();

        ChargeOutcome outcome = ledger.TryCharge(new PrivacyCharge.ApproximateDp("job", 0, "other", "{}", 0.1, 2e-5));

        ChargeOutcome.Refused refused = Assert.IsType<ChargeOutcome.Refused>(outcome);
        Assert.Contains("δ", refused.Message, StringComparison.Ordinal);
        Assert.Empty(ledger.GetCharges());
    }

    [Fact]
    public void TryCharge_RdpCurve_ComposesWithSampledGaussian()
    {
        using PrivacyBudgetLedger ledger = CreateSut();
        double[] curve = new double[ledger.Grid.Count];
        SampledGaussianRdp.Compute(0.05, 2.0, ledger.Grid.Orders, curve);

        ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 0, 0.01, 1.1, 500));
        ChargeOutcome outcome = ledger.TryCharge(new PrivacyCharge.RdpCurve("job", 1, "custom", """{"note":"one gaussian step"}""", curve));

        Assert.IsType<ChargeOutcome.Accepted>(outcome);
        Assert.Equal(Epsilon((0.01, 1.1, 500), (0.05, 2.0, 1)), ledger.GetSpent().Epsilon, 1e-9);
    }

    [Fact]
    public void TryCharge_RdpCurveOnOtherGrid_Throws()
    {
        using PrivacyBudgetLedger ledger = CreateSut();

        ArgumentException error = Assert.Throws<ArgumentException>(
            () => ledger.TryCharge(new PrivacyCharge.RdpCurve("job", 0, "custom", "{}", new double[10])));

        Assert.Contains("opacus_extended", error.Message, StringComparison.Ordinal);
        Assert.Empty(ledger.GetCharges());
    }

    [Theory]
    [InlineData("", 0, 0.1, 1.0, 1L, "JobId")]
    [InlineData("job", -1, 0.1, 1.0, 1L, "Round")]
    [InlineData("job", 0, 0.0, 1.0, 1L, "SampleRate")]
    [InlineData("job", 0, 0.1, 0.0, 1L, "NoiseMultiplier")]
    [InlineData("job", 0, 0.1, 1.0, 0L, "Steps")]
    public void TryCharge_InvalidCharge_ThrowsNamingField(string job, int round, double q, double z, long steps, string field)
    {
        using PrivacyBudgetLedger ledger = CreateSut();

        ArgumentException error = Assert.Throws<ArgumentException>(() => ledger.TryCharge(new PrivacyCharge.SampledGaussian(job, round, q, z, steps)));

        Assert.Equal(field, error.ParamName);
        Assert.Empty(ledger.GetCharges());
    }

    [Fact]
    public void TryCharge_ParametersNotJson_Throws()
    {
        using PrivacyBudgetLedger ledger = CreateSut();

        ArgumentException error = Assert.Throws<ArgumentException>(() => ledger.TryCharge(new PrivacyCharge.ApproximateDp("job", 0, "m", "{not json", 0.1, 0)));

        Assert.Equal("ParametersJson", error.ParamName);
    }

    [Fact]
    public void Create_InvalidBudget_ThrowsNamingField()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(
            () => PrivacyBudgetLedger.Create(new PrivacyBudgetLedgerOptions { Path = LedgerPath, Budget = new LifetimeBudget(1.0, 1.5) }, _time));

        Assert.Contains("Delta", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(LedgerPath));
    }

    [Fact]
    public void TryCharge_AfterDispose_Throws()
    {
        PrivacyBudgetLedger ledger = CreateSut();
        ledger.Dispose();

        Assert.Throws<ObjectDisposedException>(() => ledger.TryCharge(new PrivacyCharge.SampledGaussian("job", 0, 0.1, 1.0, 1)));
    }

    [Fact]
    public void GetSpent_Empty_IsZero()
    {
        using PrivacyBudgetLedger ledger = CreateSut();

        BudgetSpent spent = ledger.GetSpent();

        Assert.Equal(new BudgetSpent(0.0, Delta, null, 8.0, 0), spent);
    }

    private void ExecuteRaw(string sql)
    {
        using SqliteConnection connection = new(new SqliteConnectionStringBuilder { DataSource = LedgerPath, Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
