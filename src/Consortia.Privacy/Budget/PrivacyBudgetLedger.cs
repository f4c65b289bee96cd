using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Consortia.Privacy.Accounting;
using Microsoft.Data.Sqlite;

namespace Consortia.Privacy.Budget;

/// <summary>A site's privacy budget ledger: an SQLite file recording every charge against a lifetime (ε, δ) budget.</summary>
/// <remarks>
/// <para>
/// One row per accepted charge (job, round, mechanism, parameters as JSON, ε of the charge alone at the site's δ,
/// its RDP curve when it has one, the lifetime ε after it, and a timestamp from the injected
/// <see cref="TimeProvider"/>). The budget, the order grid and the conversion are stored in the file and cannot be
/// changed afterwards.
/// </para>
/// <para>
/// Composition: RDP charges (sampled Gaussian, or any RDP curve) are composed tightly by adding their curves order by
/// order across all jobs (Mironov 2017), and the sum is converted to ε once, at the site's δ. Charges known only as
/// (ε_i, δ_i) are composed by basic composition: their ε_i are added to the RDP part's ε and their δ_i are taken
/// out of the site's δ before the RDP part is converted. This is conservative (a valid upper bound) and exact when
/// every charge is an RDP charge. A job's own spending (<see cref="GetJobSpent"/>) is composed the same way over its
/// charges.
/// </para>
/// <para>
/// <see cref="TryCharge"/> checks and records inside one immediate SQLite transaction (write lock held from the
/// read of the running totals to the commit; journal in WAL mode with full synchronisation), so a crash or a
/// failure leaves either the whole charge or nothing, and two processes sharing the file cannot both spend the same
/// remaining budget. On opening, the running totals are re-derived from the rows and must match bit for bit.
/// </para>
/// <para>Thread-safe: calls are serialised on the instance. The API is synchronous because the store is a local
/// SQLite file (Microsoft.Data.Sqlite's asynchronous methods complete synchronously).</para>
/// </remarks>
public sealed class PrivacyBudgetLedger : IDisposable
{
    private const int SchemaVersion = 1;
    private const string SampledGaussianMechanism = "sampled_gaussian";

    private readonly SqliteConnection _connection;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private bool _disposed;

    private PrivacyBudgetLedger(SqliteConnection connection, TimeProvider timeProvider, string path, LifetimeBudget budget, RdpOrderGrid grid, RdpConversion conversion)
    {
        _connection = connection;
        _timeProvider = timeProvider;
        Path = path;
        Budget = budget;
        Grid = grid;
        Conversion = conversion;
    }

    /// <summary>The ledger file.</summary>
    public string Path { get; }

    /// <summary>The lifetime budget stored in the file.</summary>
    public LifetimeBudget Budget { get; }

    /// <summary>The order grid of the stored RDP curves; <see cref="PrivacyCharge.RdpCurve"/> charges must use it.</summary>
    public RdpOrderGrid Grid { get; }

    /// <summary>The conversion from RDP to (ε, δ).</summary>
    public RdpConversion Conversion { get; }

    /// <summary>Creates a new ledger file.</summary>
    /// <param name="options">The file, the lifetime budget, the grid and the conversion.</param>
    /// <param name="timeProvider">The clock for charge timestamps.</param>
    /// <returns>The open ledger.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">The file already exists.</exception>
    public static PrivacyBudgetLedger Create(PrivacyBudgetLedgerOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();
        if (File.Exists(options.Path))
        {
            throw new InvalidOperationException($"The privacy budget ledger '{options.Path}' already exists; open it instead of creating it.");
        }

        SqliteConnection connection = OpenConnection(options.Path, SqliteOpenMode.ReadWriteCreate);
        try
        {
            using (SqliteTransaction transaction = connection.BeginTransaction())
            {
                Execute(connection, transaction, """
                    CREATE TABLE ledger_meta (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        schema_version INTEGER NOT NULL,
                        epsilon_limit REAL NOT NULL,
                        delta REAL NOT NULL,
                        grid_name TEXT NOT NULL,
                        grid_orders BLOB NOT NULL,
                        conversion TEXT NOT NULL,
                        created_at TEXT NOT NULL);
                    CREATE TABLE ledger_totals (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        charge_count INTEGER NOT NULL,
                        rdp_charge_count INTEGER NOT NULL,
                        rdp_total BLOB NOT NULL,
                        basic_epsilon REAL NOT NULL,
                        basic_delta REAL NOT NULL);
                    CREATE TABLE charges (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        job_id TEXT NOT NULL,
                        round INTEGER NOT NULL,
                        mechanism TEXT NOT NULL,
                        parameters TEXT NOT NULL,
                        epsilon REAL NOT NULL,
                        charge_delta REAL NULL,
                        rdp BLOB NULL,
                        cumulative_epsilon REAL NOT NULL,
                        charged_at TEXT NOT NULL);
                    CREATE INDEX charges_by_job ON charges (job_id, seq);
                    """);
                using (SqliteCommand meta = Command(connection, transaction, """
                    INSERT INTO ledger_meta (id, schema_version, epsilon_limit, delta, grid_name, grid_orders, conversion, created_at)
                    VALUES (1, $version, $epsilon, $delta, $gridName, $gridOrders, $conversion, $createdAt);
                    """))
                {
                    meta.Parameters.AddWithValue("$version", SchemaVersion);
                    meta.Parameters.AddWithValue("$epsilon", options.Budget.Epsilon);
                    meta.Parameters.AddWithValue("$delta", options.Budget.Delta);
                    meta.Parameters.AddWithValue("$gridName", options.Grid.Name);
                    meta.Parameters.AddWithValue("$gridOrders", ToBlob(options.Grid.Orders));
                    meta.Parameters.AddWithValue("$conversion", RdpConverter.GetName(options.Conversion));
                    meta.Parameters.AddWithValue("$createdAt", FormatTime(timeProvider.GetUtcNow()));
                    meta.ExecuteNonQuery();
                }

                using (SqliteCommand totals = Command(connection, transaction, """
                    INSERT INTO ledger_totals (id, charge_count, rdp_charge_count, rdp_total, basic_epsilon, basic_delta)
                    VALUES (1, 0, 0, $rdp, 0.0, 0.0);
                    """))
                {
                    totals.Parameters.AddWithValue("$rdp", ToBlob(new double[options.Grid.Count]));
                    totals.ExecuteNonQuery();
                }

                Execute(connection, transaction, $"PRAGMA user_version = {SchemaVersion};");
                transaction.Commit();
            }

            return new PrivacyBudgetLedger(connection, timeProvider, options.Path, options.Budget, options.Grid, options.Conversion);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing ledger file and checks its consistency.</summary>
    /// <param name="path">The ledger file.</param>
    /// <param name="timeProvider">The clock for charge timestamps.</param>
    /// <returns>The open ledger.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a ledger of this version, or its totals do not match its rows.</exception>
    public static PrivacyBudgetLedger Open(string path, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The privacy budget ledger '{path}' does not exist.", path);
        }

        SqliteConnection? connection = null;
        try
        {
            connection = OpenConnection(path, SqliteOpenMode.ReadWrite);
            PrivacyBudgetLedger ledger = ReadMeta(connection, path, timeProvider);
            ledger.VerifyTotals();
            return ledger;
        }
        catch (SqliteException e)
        {
            connection?.Dispose();
            throw new InvalidDataException($"'{path}' is not a readable privacy budget ledger: {e.Message}", e);
        }
        catch
        {
            connection?.Dispose();
            throw;
        }
    }

    /// <summary>Opens the ledger if the file exists (its stored budget must equal the requested one), else creates it.</summary>
    /// <param name="options">The file, the lifetime budget, the grid and the conversion.</param>
    /// <param name="timeProvider">The clock for charge timestamps.</param>
    /// <returns>The open ledger.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">The existing file holds a different budget, grid or conversion.</exception>
    /// <exception cref="InvalidDataException">The existing file is not a consistent ledger.</exception>
    public static PrivacyBudgetLedger OpenOrCreate(PrivacyBudgetLedgerOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!File.Exists(options.Path))
        {
            return Create(options, timeProvider);
        }

        PrivacyBudgetLedger ledger = Open(options.Path, timeProvider);
        string? mismatch =
            ledger.Budget != options.Budget ? $"budget (ε = {ledger.Budget.Epsilon.ToString(CultureInfo.InvariantCulture)}, δ = {ledger.Budget.Delta.ToString(CultureInfo.InvariantCulture)})"
            : !ledger.Grid.HasSameOrders(options.Grid) ? $"order grid ({ledger.Grid.Name})"
            : ledger.Conversion != options.Conversion ? $"conversion ({RdpConverter.GetName(ledger.Conversion)})"
            : null;
        if (mismatch is not null)
        {
            ledger.Dispose();
            throw new InvalidOperationException($"The privacy budget ledger '{options.Path}' stores a different {mismatch}; a lifetime budget cannot be changed.");
        }

        return ledger;
    }

    /// <summary>
    /// Opens or creates the ledger as <see cref="OpenOrCreate"/> does, but reports an existing file that holds a
    /// different budget, grid or conversion, or that is not a consistent ledger, instead of throwing: a site turns
    /// that into a refusal of DP work with the reason, never into a failure of the node.
    /// </summary>
    /// <param name="options">The file, the lifetime budget, the grid and the conversion.</param>
    /// <param name="timeProvider">The clock for charge timestamps.</param>
    /// <param name="ledger">The open ledger when the call succeeds.</param>
    /// <param name="problem">Why the ledger cannot be used, naming the file, when it fails.</param>
    /// <returns>Whether the ledger is open.</returns>
    /// <exception cref="ArgumentException">The options are invalid (a programming error, not a state of the file).</exception>
    public static bool TryOpenOrCreate(
        PrivacyBudgetLedgerOptions options,
        TimeProvider timeProvider,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PrivacyBudgetLedger? ledger,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        try
        {
            ledger = OpenOrCreate(options, timeProvider);
            problem = null;
            return true;
        }
        catch (Exception error) when (error is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException or SqliteException)
        {
            ledger = null;
            problem = error.Message;
            return false;
        }
    }

    /// <summary>What <paramref name="charge"/> would bring its job's and the site's ε to, without recording anything.</summary>
    /// <param name="charge">The charge.</param>
    /// <returns>The job's and the lifetime ε after the charge.</returns>
    /// <exception cref="ArgumentException">The charge is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The ledger is disposed.</exception>
    public ChargePreview Preview(PrivacyCharge charge)
    {
        ArgumentNullException.ThrowIfNull(charge);
        charge.Validate();
        (double[]? curve, double basicEpsilon, double basicDelta, _) = Describe(charge);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Totals job = Totals.Empty(Grid.Count);
            foreach (ChargeRecord record in ReadCharges(charge.JobId))
            {
                job = job.Add(record.Rdp is null ? null : [.. record.Rdp], record.Rdp is null ? record.Epsilon : 0.0, record.ChargeDelta ?? 0.0);
            }

            return new ChargePreview(
                Spend(job.Add(curve, basicEpsilon, basicDelta)).Epsilon,
                Spend(ReadTotals(transaction: null).Add(curve, basicEpsilon, basicDelta)).Epsilon,
                Budget.Epsilon);
        }
    }

    /// <summary>Charges the budget if the composed lifetime ε stays within the limit; otherwise records nothing.</summary>
    /// <param name="charge">The charge.</param>
    /// <returns>
    /// <see cref="ChargeOutcome.Accepted"/> with the stored row, or <see cref="ChargeOutcome.Refused"/> with a message
    /// stating the ε spent, requested, resulting and the limit.
    /// </returns>
    /// <exception cref="ArgumentException">The charge is invalid (or its RDP curve does not match <see cref="Grid"/>).</exception>
    /// <exception cref="ObjectDisposedException">The ledger is disposed.</exception>
    /// <exception cref="SqliteException">The file could not be written; nothing was recorded.</exception>
    public ChargeOutcome TryCharge(PrivacyCharge charge)
    {
        ArgumentNullException.ThrowIfNull(charge);
        charge.Validate();
        (double[]? curve, double basicEpsilon, double basicDelta, string parameters) = Describe(charge);

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
            Totals before = ReadTotals(transaction);
            Totals after = before.Add(curve, basicEpsilon, basicDelta);

            BudgetSpent spentBefore = Spend(before);
            BudgetSpent spentAfter = Spend(after);
            double requested = curve is null
                ? basicEpsilon
                : Math.Max(0.0, RdpConverter.ToEpsilon(Grid.Orders, curve, Budget.Delta, Conversion).Epsilon);

            if (!(spentAfter.Epsilon <= Budget.Epsilon))
            {
                transaction.Rollback();
                return new ChargeOutcome.Refused(
                    RefusalMessage(charge, spentBefore.Epsilon, requested, spentAfter.Epsilon, after.BasicDelta),
                    spentBefore.Epsilon,
                    requested,
                    spentAfter.Epsilon,
                    Budget.Epsilon,
                    Budget.Delta);
            }

            DateTimeOffset now = _timeProvider.GetUtcNow();
            long sequence;
            using (SqliteCommand insert = Command(_connection, transaction, """
                INSERT INTO charges (job_id, round, mechanism, parameters, epsilon, charge_delta, rdp, cumulative_epsilon, charged_at)
                VALUES ($job, $round, $mechanism, $parameters, $epsilon, $delta, $rdp, $cumulative, $at)
                RETURNING seq;
                """))
            {
                insert.Parameters.AddWithValue("$job", charge.JobId);
                insert.Parameters.AddWithValue("$round", charge.Round);
                insert.Parameters.AddWithValue("$mechanism", charge.Mechanism);
                insert.Parameters.AddWithValue("$parameters", parameters);
                insert.Parameters.AddWithValue("$epsilon", requested);
                insert.Parameters.AddWithValue("$delta", curve is null ? basicDelta : DBNull.Value);
                insert.Parameters.AddWithValue("$rdp", curve is null ? DBNull.Value : ToBlob(curve));
                insert.Parameters.AddWithValue("$cumulative", spentAfter.Epsilon);
                insert.Parameters.AddWithValue("$at", FormatTime(now));
                sequence = Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
            }

            WriteTotals(transaction, after);
            transaction.Commit();

            ChargeRecord record = new(
                sequence,
                charge.JobId,
                charge.Round,
                charge.Mechanism,
                parameters,
                requested,
                curve is null ? basicDelta : null,
                curve,
                spentAfter.Epsilon,
                now);
            return new ChargeOutcome.Accepted(record, spentAfter);
        }
    }

    /// <summary>The site's lifetime spending over all jobs.</summary>
    /// <returns>The composed ε at the site's δ.</returns>
    /// <exception cref="ObjectDisposedException">The ledger is disposed.</exception>
    public BudgetSpent GetSpent()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Spend(ReadTotals(transaction: null));
        }
    }

    /// <summary>One job's cumulative spending, composed over its charges only.</summary>
    /// <param name="jobId">The job.</param>
    /// <returns>The composed ε at the site's δ (0 with no charge).</returns>
    /// <exception cref="ObjectDisposedException">The ledger is disposed.</exception>
    public BudgetSpent GetJobSpent(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Totals totals = Totals.Empty(Grid.Count);
            foreach (ChargeRecord record in ReadCharges(jobId))
            {
                totals = totals.Add(record.Rdp is null ? null : [.. record.Rdp], record.Rdp is null ? record.Epsilon : 0.0, record.ChargeDelta ?? 0.0);
            }

            return Spend(totals);
        }
    }

    /// <summary>The recorded charges in order, optionally of one job only.</summary>
    /// <param name="jobId">The job, or null for all charges.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="ObjectDisposedException">The ledger is disposed.</exception>
    public IReadOnlyList<ChargeRecord> GetCharges(string? jobId = null)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ReadCharges(jobId);
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _connection.Dispose();
        }
    }

    private (double[]? Curve, double BasicEpsilon, double BasicDelta, string Parameters) Describe(PrivacyCharge charge)
    {
        switch (charge)
        {
            case PrivacyCharge.SampledGaussian gaussian:
            {
                double[] curve = new double[Grid.Count];
                SampledGaussianRdp.Compute(gaussian.SampleRate, gaussian.NoiseMultiplier, Grid.Orders, curve);
                for (int i = 0; i < curve.Length; i++)
                {
                    curve[i] *= gaussian.Steps;
                }

                string parameters = Json(writer =>
                {
                    writer.WriteNumber("sample_rate", gaussian.SampleRate);
                    writer.WriteNumber("noise_multiplier", gaussian.NoiseMultiplier);
                    writer.WriteNumber("steps", gaussian.Steps);
                });
                return (curve, 0.0, 0.0, parameters);
            }

            case PrivacyCharge.RdpCurve rdp:
                if (rdp.Rdp.Count != Grid.Count)
                {
                    throw new ArgumentException($"The RDP curve has {rdp.Rdp.Count} values but the ledger's grid {Grid.Name} has {Grid.Count} orders.", nameof(charge));
                }

                return ([.. rdp.Rdp], 0.0, 0.0, rdp.ParametersJson);

            case PrivacyCharge.ApproximateDp approximate:
                return (null, approximate.Epsilon, approximate.Delta, approximate.ParametersJson);

            default:
                throw new ArgumentException($"Unknown charge kind {charge.GetType().Name}.", nameof(charge));
        }
    }

    private BudgetSpent Spend(Totals totals)
    {
        double epsilon = totals.BasicEpsilon;
        double? order = null;
        if (totals.RdpChargeCount > 0)
        {
            double rdpDelta = Budget.Delta - totals.BasicDelta;
            if (!(rdpDelta > 0.0))
            {
                epsilon = double.PositiveInfinity;
            }
            else
            {
                PrivacyGuarantee guarantee = RdpConverter.ToEpsilon(Grid.Orders, totals.Rdp, rdpDelta, Conversion);
                epsilon += Math.Max(0.0, guarantee.Epsilon);
                order = double.IsNaN(guarantee.Order) ? null : guarantee.Order;
            }
        }
        else if (totals.BasicDelta > Budget.Delta)
        {
            epsilon = double.PositiveInfinity;
        }

        return new BudgetSpent(epsilon, Budget.Delta, order, Budget.Epsilon, totals.ChargeCount);
    }

    private string RefusalMessage(PrivacyCharge charge, double spent, double requested, double resulting, double basicDelta)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        string reason = basicDelta >= Budget.Delta
            ? $"the (ε, δ) charges' δ would total {basicDelta.ToString("G6", c)}, exhausting the site's δ = {Budget.Delta.ToString("G6", c)}"
            : $"the composed lifetime ε would be {resulting.ToString("G6", c)}";
        return $"Privacy budget exceeded: charge for job '{charge.JobId}' round {charge.Round.ToString(c)} ({charge.Mechanism}) refused. "
            + $"Spent ε = {spent.ToString("G6", c)}, requested ε = {requested.ToString("G6", c)} (this charge alone), "
            + $"{reason}, limit ε = {Budget.Epsilon.ToString("G6", c)} at δ = {Budget.Delta.ToString("G6", c)}.";
    }

    private Totals ReadTotals(SqliteTransaction? transaction)
    {
        using SqliteCommand command = Command(_connection, transaction, "SELECT charge_count, rdp_charge_count, rdp_total, basic_epsilon, basic_delta FROM ledger_totals WHERE id = 1;");
        using SqliteDataReader reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidDataException($"The privacy budget ledger '{Path}' has no totals row.");
        }

        double[] rdp = FromBlob(reader.GetValue(2), Grid.Count, Path, "rdp_total");
        return new Totals(reader.GetInt32(0), reader.GetInt32(1), rdp, reader.GetDouble(3), reader.GetDouble(4));
    }

    private void WriteTotals(SqliteTransaction transaction, Totals totals)
    {
        using SqliteCommand command = Command(_connection, transaction, """
            UPDATE ledger_totals
            SET charge_count = $count, rdp_charge_count = $rdpCount, rdp_total = $rdp, basic_epsilon = $epsilon, basic_delta = $delta
            WHERE id = 1;
            """);
        command.Parameters.AddWithValue("$count", totals.ChargeCount);
        command.Parameters.AddWithValue("$rdpCount", totals.RdpChargeCount);
        command.Parameters.AddWithValue("$rdp", ToBlob(totals.Rdp));
        command.Parameters.AddWithValue("$epsilon", totals.BasicEpsilon);
        command.Parameters.AddWithValue("$delta", totals.BasicDelta);
        if (command.ExecuteNonQuery() != 1)
        {
            throw new InvalidDataException($"The privacy budget ledger '{Path}' has no totals row.");
        }
    }

    private List<ChargeRecord> ReadCharges(string? jobId)
    {
        using SqliteCommand command = Command(_connection, null, jobId is null
            ? "SELECT seq, job_id, round, mechanism, parameters, epsilon, charge_delta, rdp, cumulative_epsilon, charged_at FROM charges ORDER BY seq;"
            : "SELECT seq, job_id, round, mechanism, parameters, epsilon, charge_delta, rdp, cumulative_epsilon, charged_at FROM charges WHERE job_id = $job ORDER BY seq;");
        if (jobId is not null)
        {
            command.Parameters.AddWithValue("$job", jobId);
        }

        using SqliteDataReader reader = command.ExecuteReader();
        List<ChargeRecord> records = [];
        while (reader.Read())
        {
            long sequence = reader.GetInt64(0);
            double[]? rdp = reader.IsDBNull(7) ? null : FromBlob(reader.GetValue(7), Grid.Count, Path, $"charges.rdp (seq {sequence})");
            records.Add(new ChargeRecord(
                sequence,
                reader.GetString(1),
                reader.GetInt32(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetDouble(5),
                reader.IsDBNull(6) ? null : reader.GetDouble(6),
                rdp,
                reader.GetDouble(8),
                DateTimeOffset.Parse(reader.GetString(9), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)));
        }

        return records;
    }

    private void VerifyTotals()
    {
        Totals stored = ReadTotals(transaction: null);
        Totals recomputed = Totals.Empty(Grid.Count);
        foreach (ChargeRecord record in ReadCharges(jobId: null))
        {
            recomputed = recomputed.Add(record.Rdp is null ? null : [.. record.Rdp], record.Rdp is null ? record.Epsilon : 0.0, record.ChargeDelta ?? 0.0);
        }

        bool same = stored.ChargeCount == recomputed.ChargeCount
            && stored.RdpChargeCount == recomputed.RdpChargeCount
            && stored.BasicEpsilon.Equals(recomputed.BasicEpsilon)
            && stored.BasicDelta.Equals(recomputed.BasicDelta)
            && stored.Rdp.AsSpan().SequenceEqual(recomputed.Rdp);
        if (!same)
        {
            throw new InvalidDataException($"The privacy budget ledger '{Path}' is inconsistent: its running totals ({stored.ChargeCount} charges) do not match its {recomputed.ChargeCount} charge rows.");
        }
    }

    private static PrivacyBudgetLedger ReadMeta(SqliteConnection connection, string path, TimeProvider timeProvider)
    {
        using (SqliteCommand version = Command(connection, null, "PRAGMA user_version;"))
        {
            long found = Convert.ToInt64(version.ExecuteScalar(), CultureInfo.InvariantCulture);
            if (found != SchemaVersion)
            {
                throw new InvalidDataException($"'{path}' is not a privacy budget ledger of schema version {SchemaVersion} (user_version is {found}).");
            }
        }

        using SqliteCommand command = Command(connection, null, "SELECT schema_version, epsilon_limit, delta, grid_name, grid_orders, conversion FROM ledger_meta WHERE id = 1;");
        using SqliteDataReader reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidDataException($"The privacy budget ledger '{path}' has no budget row.");
        }

        LifetimeBudget budget = new(reader.GetDouble(1), reader.GetDouble(2));
        try
        {
            budget.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The privacy budget ledger '{path}' stores an invalid budget: {e.Message}", e);
        }

        string gridName = reader.GetString(3);
        byte[] orderBytes = reader.GetValue(4) as byte[] ?? [];
        if (orderBytes.Length == 0 || orderBytes.Length % sizeof(double) != 0)
        {
            throw new InvalidDataException($"The privacy budget ledger '{path}' stores a malformed order grid ({orderBytes.Length} bytes).");
        }

        double[] orders = FromBlob(orderBytes, orderBytes.Length / sizeof(double), path, "grid_orders");
        RdpOrderGrid grid;
        try
        {
            grid = RdpOrderGrid.TryParse(gridName, out RdpOrderGrid? known) && known.Orders.SequenceEqual(orders)
                ? known
                : RdpOrderGrid.Create(gridName, orders);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The privacy budget ledger '{path}' stores an invalid order grid: {e.Message}", e);
        }

        string conversionName = reader.GetString(5);
        if (!RdpConverter.TryParse(conversionName, out RdpConversion conversion))
        {
            throw new InvalidDataException($"The privacy budget ledger '{path}' stores an unknown conversion '{conversionName}'.");
        }

        return new PrivacyBudgetLedger(connection, timeProvider, path, budget, grid, conversion);
    }

    private static SqliteConnection OpenConnection(string path, SqliteOpenMode mode)
    {
        SqliteConnectionStringBuilder builder = new()
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
        };
        SqliteConnection connection = new(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, null, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using SqliteCommand command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }

    private static string FormatTime(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter writer = new(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    // Curves are stored as little-endian IEEE doubles: exact, compact, and able to hold +∞ (JSON cannot).
    private static byte[] ToBlob(ReadOnlySpan<double> values)
    {
        byte[] bytes = new byte[values.Length * sizeof(double)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * sizeof(double)), values[i]);
        }

        return bytes;
    }

    private static double[] FromBlob(object value, int count, string path, string column)
    {
        if (value is not byte[] bytes || bytes.Length != count * sizeof(double))
        {
            throw new InvalidDataException($"The privacy budget ledger '{path}' has a malformed {column}: expected {count * sizeof(double)} bytes for {count} orders.");
        }

        double[] values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * sizeof(double)));
        }

        return values;
    }

    private sealed record Totals(int ChargeCount, int RdpChargeCount, double[] Rdp, double BasicEpsilon, double BasicDelta)
    {
        public static Totals Empty(int orders) => new(0, 0, new double[orders], 0.0, 0.0);

        public Totals Add(double[]? curve, double basicEpsilon, double basicDelta)
        {
            double[] rdp = (double[])Rdp.Clone();
            if (curve is not null)
            {
                for (int i = 0; i < rdp.Length; i++)
                {
                    rdp[i] += curve[i];
                }

                return new Totals(ChargeCount + 1, RdpChargeCount + 1, rdp, BasicEpsilon, BasicDelta);
            }

            return new Totals(ChargeCount + 1, RdpChargeCount, rdp, BasicEpsilon + basicEpsilon, BasicDelta + basicDelta);
        }
    }
}
