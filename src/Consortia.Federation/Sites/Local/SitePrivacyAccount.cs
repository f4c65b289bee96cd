using Consortia.Privacy.Accounting;
using Consortia.Privacy.Budget;

namespace Consortia.Federation.Sites.Local;

/// <summary>What differential privacy has cost one site in the current job, as the site itself accounts it.</summary>
/// <remarks>
/// <para>
/// The account is a list of <see cref="PrivacyAccountEntry"/> (one per DP round), so that a restarted site can restore
/// it from its saved state (<see cref="SiteJobState"/>) and report the whole job's ε, not only the rounds since.
/// </para>
/// <para>
/// Distributed client-level rounds are reported from what the site booked: the RDP curves of the job's distributed
/// charges in its ledger (the mechanism actually run, with its own accountant), converted at the job's δ; the ledger is
/// durable, so a restarted site reports them too.
/// </para>
/// </remarks>
internal sealed class SitePrivacyAccount
{
    private readonly SiteId _site;
    private readonly PrivacyBudgetLedger? _budget;
    private readonly string _jobId;
    private readonly List<PrivacyAccountEntry> _entries = [];
    private RdpAccountant? _sampleLevel;
    private RdpAccountant? _clientLevel; // client-level DP-FedAvg: the rounds this site contributed to

    /// <summary>Creates the account.</summary>
    /// <param name="site">The site.</param>
    /// <param name="budget">The site's lifetime budget ledger, reported beside the job's ε; <see langword="null"/> when none is kept.</param>
    /// <param name="jobId">The job whose charges the account reports.</param>
    public SitePrivacyAccount(SiteId site, PrivacyBudgetLedger? budget, string jobId)
    {
        _site = site;
        _budget = budget;
        _jobId = jobId;
    }

    /// <summary>The latest report, or <see langword="null"/> while no DP round was accounted.</summary>
    public SitePrivacyReport? Report { get; private set; }

    /// <summary>Every accounted DP round of the job so far, in order.</summary>
    public IReadOnlyList<PrivacyAccountEntry> Entries => _entries;

    /// <summary>Accounts DP-SGD steps at sampling rate <paramref name="sampleRate"/> and noise <paramref name="sigma"/>.</summary>
    public void AddSampleLevel(double sampleRate, double sigma, int steps, double delta) =>
        Add(new PrivacyAccountEntry(PrivacyAccountLevel.Sample, sampleRate, sigma, steps, delta));

    /// <summary>
    /// Accounts one client-level round as booked in <paramref name="charge"/>: one Gaussian mechanism of multiplier z at
    /// sampling rate 1 (central noise), or the distributed mechanism's RDP curve.
    /// </summary>
    public void AddClientRound(ClientDpRound dp, ChargeRecord charge) =>
        Add(new PrivacyAccountEntry(IsDistributed(charge.Mechanism) ? PrivacyAccountLevel.DistributedClient : PrivacyAccountLevel.Client, 1.0, dp.NoiseMultiplier, 1, dp.Delta));

    /// <summary>Replaces the account by <paramref name="entries"/> (a restarted site restoring its saved state).</summary>
    public void Restore(IEnumerable<PrivacyAccountEntry> entries)
    {
        _entries.Clear();
        _sampleLevel = _clientLevel = null;
        Report = null;
        foreach (PrivacyAccountEntry entry in entries)
        {
            Add(entry);
        }
    }

    private void Add(PrivacyAccountEntry entry)
    {
        _entries.Add(entry);
        BudgetSpent? lifetime = _budget?.GetSpent();
        if (entry.Level == PrivacyAccountLevel.DistributedClient)
        {
            Report = DistributedReport(entry, lifetime);
            return;
        }

        RdpAccountant accountant = entry.Level == PrivacyAccountLevel.Sample
            ? _sampleLevel ??= new RdpAccountant()
            : _clientLevel ??= new RdpAccountant();
        accountant.AddSampledGaussian(entry.SampleRate, entry.NoiseMultiplier, entry.Steps);
        RdpAccountant single = new();
        single.AddSampledGaussian(entry.SampleRate, entry.NoiseMultiplier, entry.Steps);
        Report = new SitePrivacyReport(
            _site, accountant.GetEpsilon(entry.Delta).Epsilon, entry.Delta, entry.NoiseMultiplier, entry.SampleRate, accountant.History.Sum(h => h.Steps), lifetime?.Epsilon, lifetime?.EpsilonLimit)
        {
            Mechanism = "sampled_gaussian",
            RoundEpsilon = single.GetEpsilon(entry.Delta).Epsilon,
        };
    }

    /// <summary>The job's ε from the distributed charges in the ledger (a distributed round is only accepted with a ledger).</summary>
    private SitePrivacyReport DistributedReport(PrivacyAccountEntry entry, BudgetSpent? lifetime)
    {
        PrivacyBudgetLedger budget = _budget ?? throw new InvalidOperationException("A distributed DP round was accounted without a budget ledger.");
        ChargeRecord[] charges = [.. budget.GetCharges(_jobId).Where(c => IsDistributed(c.Mechanism) && c.Rdp is not null)];
        if (charges.Length == 0)
        {
            throw new InvalidOperationException($"The ledger holds no distributed DP charge for job '{_jobId}'.");
        }

        ReadOnlySpan<double> orders = budget.Grid.Orders;
        double[] total = new double[orders.Length];
        foreach (ChargeRecord charge in charges)
        {
            for (int i = 0; i < total.Length; i++)
            {
                total[i] += charge.Rdp![i];
            }
        }

        double jobEpsilon = RdpConverter.ToEpsilon(orders, total, entry.Delta, budget.Conversion).Epsilon;
        double roundEpsilon = RdpConverter.ToEpsilon(orders, [.. charges[^1].Rdp!], entry.Delta, budget.Conversion).Epsilon;
        return new SitePrivacyReport(_site, jobEpsilon, entry.Delta, entry.NoiseMultiplier, 1.0, charges.Length, lifetime?.Epsilon, lifetime?.EpsilonLimit)
        {
            Mechanism = charges[^1].Mechanism,
            RoundEpsilon = roundEpsilon,
        };
    }

    private static bool IsDistributed(string mechanism) => mechanism.StartsWith("distributed_", StringComparison.Ordinal);
}

/// <summary>Which DP guarantee an account entry belongs to.</summary>
internal enum PrivacyAccountLevel : byte
{
    /// <summary>DP-SGD steps (record-level).</summary>
    Sample = 1,

    /// <summary>A client-level DP-FedAvg round with central (coordinator) Gaussian noise.</summary>
    Client = 2,

    /// <summary>A client-level round with distributed noise (sites' discrete Gaussian or Skellam shares); its ε is read from the ledger's charges.</summary>
    DistributedClient = 3,
}

/// <summary>One accounted DP round: <paramref name="Steps"/> sampled Gaussian mechanisms at rate q and multiplier σ.</summary>
internal readonly record struct PrivacyAccountEntry(PrivacyAccountLevel Level, double SampleRate, double NoiseMultiplier, int Steps, double Delta);
