using Consortia.Privacy.Accounting;
using Consortia.Privacy.Budget;

namespace Consortia.Federation.Sites.Local;

/// <summary>What differential privacy has cost one site in the current job, as the site itself accounts it.</summary>
/// <remarks>
/// The account is a list of <see cref="PrivacyAccountEntry"/> (one per DP round), so that a restarted site can restore
/// it from its saved state (<see cref="SiteJobState"/>) and report the whole job's ε, not only the rounds since.
/// </remarks>
internal sealed class SitePrivacyAccount
{
    private readonly SiteId _site;
    private readonly PrivacyBudgetLedger? _budget;
    private readonly List<PrivacyAccountEntry> _entries = [];
    private RdpAccountant? _sampleLevel;
    private RdpAccountant? _clientLevel; // client-level DP-FedAvg: the rounds this site contributed to

    /// <summary>Creates the account.</summary>
    /// <param name="site">The site.</param>
    /// <param name="budget">The site's lifetime budget ledger, reported beside the job's ε; <see langword="null"/> when none is kept.</param>
    public SitePrivacyAccount(SiteId site, PrivacyBudgetLedger? budget)
    {
        _site = site;
        _budget = budget;
    }

    /// <summary>The latest report, or <see langword="null"/> while no DP round was accounted.</summary>
    public SitePrivacyReport? Report { get; private set; }

    /// <summary>Every accounted DP round of the job so far, in order.</summary>
    public IReadOnlyList<PrivacyAccountEntry> Entries => _entries;

    /// <summary>Accounts DP-SGD steps at sampling rate <paramref name="sampleRate"/> and noise <paramref name="sigma"/>.</summary>
    public void AddSampleLevel(double sampleRate, double sigma, int steps, double delta) =>
        Add(new PrivacyAccountEntry(PrivacyAccountLevel.Sample, sampleRate, sigma, steps, delta));

    /// <summary>Accounts one client-level round: one Gaussian mechanism of multiplier z at sampling rate 1 (no amplification claimed).</summary>
    public void AddClientRound(ClientDpRound dp) =>
        Add(new PrivacyAccountEntry(PrivacyAccountLevel.Client, 1.0, dp.NoiseMultiplier, 1, dp.Delta));

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
        RdpAccountant accountant = entry.Level == PrivacyAccountLevel.Sample
            ? _sampleLevel ??= new RdpAccountant()
            : _clientLevel ??= new RdpAccountant();
        accountant.AddSampledGaussian(entry.SampleRate, entry.NoiseMultiplier, entry.Steps);
        BudgetSpent? lifetime = _budget?.GetSpent();
        Report = new SitePrivacyReport(
            _site, accountant.GetEpsilon(entry.Delta).Epsilon, entry.Delta, entry.NoiseMultiplier, entry.SampleRate, accountant.History.Sum(h => h.Steps), lifetime?.Epsilon, lifetime?.EpsilonLimit);
    }
}

/// <summary>Which DP guarantee an account entry belongs to.</summary>
internal enum PrivacyAccountLevel : byte
{
    /// <summary>DP-SGD steps (record-level).</summary>
    Sample = 1,

    /// <summary>A client-level DP-FedAvg round.</summary>
    Client = 2,
}

/// <summary>One accounted DP round: <paramref name="Steps"/> sampled Gaussian mechanisms at rate q and multiplier σ.</summary>
internal readonly record struct PrivacyAccountEntry(PrivacyAccountLevel Level, double SampleRate, double NoiseMultiplier, int Steps, double Delta);
