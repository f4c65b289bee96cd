using Consortia.Privacy.Accounting;
using Consortia.Privacy.Budget;

namespace Consortia.Federation.Sites.Local;

/// <summary>What differential privacy has cost one site in the current job, as the site itself accounts it.</summary>
internal sealed class SitePrivacyAccount
{
    private readonly SiteId _site;
    private readonly PrivacyBudgetLedger? _budget;
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

    /// <summary>Accounts DP-SGD steps at sampling rate <paramref name="sampleRate"/> and noise <paramref name="sigma"/>.</summary>
    public void AddSampleLevel(double sampleRate, double sigma, int steps, double delta)
    {
        _sampleLevel ??= new RdpAccountant();
        _sampleLevel.AddSampledGaussian(sampleRate, sigma, steps);
        Report = Make(_sampleLevel, delta, sigma, sampleRate);
    }

    /// <summary>Accounts one client-level round: one Gaussian mechanism of multiplier z at sampling rate 1 (no amplification claimed).</summary>
    public void AddClientRound(ClientDpRound dp)
    {
        _clientLevel ??= new RdpAccountant();
        _clientLevel.AddSampledGaussian(1.0, dp.NoiseMultiplier, 1);
        Report = Make(_clientLevel, dp.Delta, dp.NoiseMultiplier, 1.0);
    }

    private SitePrivacyReport Make(RdpAccountant accountant, double delta, double sigma, double sampleRate)
    {
        BudgetSpent? lifetime = _budget?.GetSpent();
        return new SitePrivacyReport(_site, accountant.GetEpsilon(delta).Epsilon, delta, sigma, sampleRate, accountant.History.Sum(h => h.Steps), lifetime?.Epsilon, lifetime?.EpsilonLimit);
    }
}
