using Consortia.Federation.Sites.Local;
using Consortia.Governance.Policies;
using Consortia.Privacy.Budget;

namespace Consortia.Federation.Sites.Guards;

/// <summary>
/// Books a DP round's cost to the site's lifetime budget before anything is computed, and refuses the round
/// (<c>dp-budget</c>) when the charge would exceed it.
/// </summary>
/// <remarks>
/// Client-level DP-FedAvg: the site charges one Gaussian mechanism of the job's total multiplier z per round it
/// takes part in, at sampling rate 1. It cannot verify the coordinator's site sampling (and the coordinator knows
/// who took part), so it claims no amplification; this bounds the site's loss from above whatever the sampling.
/// </remarks>
internal sealed class BudgetGuard : ISiteGuard
{
    private readonly SiteId _site;
    private readonly PrivacyBudgetLedger? _budget;
    private readonly DpCalibration _calibration;
    private readonly SitePrivacyAccount _privacy;
    private readonly SiteAudit _audit;

    /// <summary>Creates the guard.</summary>
    /// <param name="site">The site.</param>
    /// <param name="budget">The site's lifetime budget ledger, or <see langword="null"/> when none is kept (rounds are then accounted, not charged).</param>
    /// <param name="calibration">The site's DP-SGD calibration (shared with training).</param>
    /// <param name="privacy">The site's privacy account for the job.</param>
    /// <param name="audit">The site's ledger.</param>
    public BudgetGuard(SiteId site, PrivacyBudgetLedger? budget, DpCalibration calibration, SitePrivacyAccount privacy, SiteAudit audit)
    {
        _site = site;
        _budget = budget;
        _calibration = calibration;
        _privacy = privacy;
        _audit = audit;
    }

    public Refused? Check(TrainTask task)
    {
        if (task.Dp is { } dp && ChargeSampleLevel(task, dp) is { } refusal)
        {
            return refusal;
        }

        return task.ClientDp is { } clientDp ? ChargeClientLevel(task, clientDp) : null;
    }

    private Refused? ChargeSampleLevel(TrainTask task, SiteDpSettings dp)
    {
        (double q, int steps, double sigma) = _calibration.For(task, dp);
        return Charge(task, new PrivacyCharge.SampledGaussian(dp.JobId, task.Round.Value, q, sigma, steps), DpMode.SampleLevel, dp.JobId, dp.Options.Delta);
    }

    private Refused? ChargeClientLevel(TrainTask task, ClientDpRound dp)
    {
        if (!(dp.NoiseMultiplier > 0) || !double.IsFinite(dp.NoiseMultiplier) || !(dp.ClipNorm > 0) || !double.IsFinite(dp.ClipNorm))
        {
            return new Refused(_site, task.Round, "dp-client-level", $"The round's client-level DP settings are invalid (z = {dp.NoiseMultiplier}, C = {dp.ClipNorm}).");
        }

        if (task.ControlVariate is not null)
        {
            return new Refused(_site, task.Round, "dp-client-level", "Client-level DP cannot release SCAFFOLD's control variates, which are not clipped or noised.");
        }

        if (Charge(task, new PrivacyCharge.SampledGaussian(dp.JobId, task.Round.Value, 1.0, dp.NoiseMultiplier, 1), DpMode.ClientLevel, dp.JobId, dp.Delta) is { } refusal)
        {
            return refusal;
        }

        _privacy.AddClientRound(dp);
        return null;
    }

    private Refused? Charge(TrainTask task, PrivacyCharge charge, DpMode mode, string jobId, double delta)
    {
        if (_budget is null)
        {
            return null;
        }

        switch (_budget.TryCharge(charge))
        {
            case ChargeOutcome.Refused refused:
                return new Refused(_site, task.Round, "dp-budget", refused.Message);
            case ChargeOutcome.Accepted:
                _audit.PrivacyCharge(task.Round, mode, _budget.GetJobSpent(jobId).Epsilon, delta);
                break;
        }

        return null;
    }
}
