using System.Text.Json;
using Consortia.Federation.Sites.Local;
using Consortia.Governance.Policies;
using Consortia.Privacy.Budget;
using Consortia.Privacy.Distributed;
using Consortia.Privacy.DpSgd;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.Sites.Guards;

/// <summary>
/// Books a DP round's cost to the site's lifetime budget before anything is computed, and refuses the round when it
/// cannot: no budget at the site, a budget the site cannot open, settings it cannot account, or a charge that would
/// exceed the budget. Every such problem is a refusal with its reason, never an exception.
/// </summary>
/// <remarks>
/// <para>
/// The budget is the site's own (its policy or its node configuration), never the job's: a site without one refuses
/// DP work (rule <c>dp-budget</c>), since a job could otherwise spend without limit what the site cannot track.
/// </para>
/// <para>
/// Client-level DP-FedAvg: the site charges, per round it takes part in and at sampling rate 1, the mechanism that
/// actually protects its update. With central noise that is one Gaussian mechanism of the job's total multiplier z;
/// with distributed noise it is the RDP curve of the sites' discrete Gaussian (with its τ term) or Skellam noise, from
/// the site's own calibration (<see cref="DistributedCalibration"/>, shared with the noise stage), booked as an
/// <see cref="PrivacyCharge.RdpCurve"/> on the ledger's grid. The coordinator draws and knows the sample, so the site
/// claims no amplification; this bounds the site's loss from above whatever the sampling.
/// </para>
/// </remarks>
internal sealed class BudgetGuard : ISiteGuard
{
    /// <summary>The reason given when a site without a budget is asked for DP work.</summary>
    public const string NoBudget =
        "this site has no lifetime privacy budget (its policy's protections.differential_privacy.lifetime_epsilon_budget, or the node configuration's budget:), so it refuses differential-privacy work it could not charge";

    private readonly SiteId _site;
    private readonly PrivacyBudgetLedger? _budget;
    private readonly string? _budgetProblem;
    private readonly DpCalibration _calibration;
    private readonly DistributedCalibration _distributed;
    private readonly SitePrivacyAccount _privacy;
    private readonly SiteAudit _audit;

    /// <summary>Creates the guard.</summary>
    /// <param name="site">The site.</param>
    /// <param name="budget">The site's lifetime budget ledger, or <see langword="null"/> when it has none (DP rounds are then refused).</param>
    /// <param name="budgetProblem">Why the site has no ledger (e.g. its file holds another budget), given as the refusal's reason.</param>
    /// <param name="calibration">The site's DP-SGD calibration (shared with training).</param>
    /// <param name="distributed">The site's calibration of distributed client-level noise (shared with the noise stage).</param>
    /// <param name="privacy">The site's privacy account for the job.</param>
    /// <param name="audit">The site's ledger.</param>
    public BudgetGuard(SiteId site, PrivacyBudgetLedger? budget, string? budgetProblem, DpCalibration calibration, DistributedCalibration distributed, SitePrivacyAccount privacy, SiteAudit audit)
    {
        _distributed = distributed;
        _site = site;
        _budget = budget;
        _budgetProblem = budgetProblem;
        _calibration = calibration;
        _privacy = privacy;
        _audit = audit;
    }

    public Refused? Check(TrainTask task)
    {
        if (task.Dp is null && task.ClientDp is null)
        {
            return null;
        }

        if (_budget is null)
        {
            return new Refused(_site, task.Round, PolicyRules.DpBudget, _budgetProblem is null ? NoBudget : $"the site's privacy budget cannot be used: {_budgetProblem}");
        }

        (PrivacyCharge? charge, Refused? refusal) = ChargeFor(task);
        if (refusal is not null)
        {
            return refusal;
        }

        switch (_budget.TryCharge(charge!))
        {
            case ChargeOutcome.Refused refused:
                return new Refused(_site, task.Round, PolicyRules.DpBudget, refused.Message);
            case ChargeOutcome.Accepted accepted:
                if (task.Dp is { } dp)
                {
                    _audit.PrivacyCharge(task.Round, DpMode.SampleLevel, _budget.GetJobSpent(dp.JobId).Epsilon, dp.Options.Delta);
                }
                else if (task.ClientDp is { } clientDp)
                {
                    _audit.PrivacyCharge(task.Round, DpMode.ClientLevel, _budget.GetJobSpent(clientDp.JobId).Epsilon, clientDp.Delta);
                    _privacy.AddClientRound(clientDp, accepted.Record);
                }

                break;
        }

        return null;
    }

    /// <summary>
    /// The job's and the site's ε after this round's charge, without booking it: the per-round fields of the policy's
    /// round check. <see langword="null"/> values when the task is not DP or cannot be charged (the check above then
    /// refuses it with the reason).
    /// </summary>
    /// <param name="task">The training task.</param>
    /// <returns>The job's ε and the lifetime ε after the round.</returns>
    public (double? JobEpsilon, double? LifetimeEpsilon) Preview(TrainTask task)
    {
        if (_budget is null || (task.Dp is null && task.ClientDp is null) || ChargeFor(task).Charge is not { } charge)
        {
            return (null, null);
        }

        ChargePreview preview = _budget.Preview(charge);
        return (preview.JobEpsilon, preview.LifetimeEpsilon);
    }

    private (PrivacyCharge? Charge, Refused? Refusal) ChargeFor(TrainTask task)
    {
        if (task.Dp is { } dp)
        {
            if (dp.Options.Sampling != BatchSampling.Poisson)
            {
                return (null, new Refused(_site, task.Round, "dp-poisson-sampling", DpSgdOptions.PoissonSamplingRule));
            }

            try
            {
                (double q, int steps, double sigma) = _calibration.For(task, dp);
                return (new PrivacyCharge.SampledGaussian(dp.JobId, task.Round.Value, q, sigma, steps), null);
            }
            catch (Exception error) when (error is InvalidOperationException or ArgumentException)
            {
                return (null, new Refused(_site, task.Round, "dp-calibration", $"The site cannot account the round's DP-SGD: {error.Message}"));
            }
        }

        ClientDpRound clientDp = task.ClientDp!; // Check and Preview call this only for DP tasks
        if (!(clientDp.NoiseMultiplier > 0) || !double.IsFinite(clientDp.NoiseMultiplier) || !(clientDp.ClipNorm > 0) || !double.IsFinite(clientDp.ClipNorm))
        {
            return (null, new Refused(_site, task.Round, "dp-client-level", $"The round's client-level DP settings are invalid (z = {clientDp.NoiseMultiplier}, C = {clientDp.ClipNorm})."));
        }

        if (task.ControlVariate is not null)
        {
            return (null, new Refused(_site, task.Round, "dp-client-level", "Client-level DP cannot release SCAFFOLD's control variates, which are not clipped or noised."));
        }

        if (_distributed.IsDistributed)
        {
            try
            {
                DistributedDpParameters parameters = _distributed.For(task)!;
                string json = JsonSerializer.Serialize(new
                {
                    mechanism = DistributedDp.Describe(parameters.Mechanism),
                    noise_multiplier = parameters.NoiseMultiplier,
                    update_noise_multiplier = parameters.UpdateNoiseMultiplier,
                    bit_noise = parameters.BitNoise,
                    l2_sensitivity = parameters.L2Sensitivity,
                    l1_sensitivity = parameters.L1Sensitivity,
                    dimension = parameters.PaddedLength,
                    site_variance = parameters.SiteVariance,
                    bit_site_variance = parameters.BitSiteVariance,
                    contributors = parameters.MinimumContributors,
                    sample_rate = 1.0,
                });
                return (new PrivacyCharge.RdpCurve(clientDp.JobId, task.Round.Value, DistributedChargeMechanism(parameters.Mechanism), json, DistributedDp.RoundCurve(parameters, _budget!.Grid.Orders)), null);
            }
            catch (InvalidOperationException error)
            {
                return (null, new Refused(_site, task.Round, "dp-calibration", $"The site cannot calibrate the round's distributed DP noise: {error.Message}"));
            }
        }

        if (task.SecureSession is { } session && QuantisationMargin(session.Quantization, task.GlobalParameters.Length) >= clientDp.ClipNorm)
        {
            return (null, new Refused(_site, task.Round, "dp-quantisation",
                $"Quantising the clipped update moves it by up to step·√d = {QuantisationMargin(session.Quantization, task.GlobalParameters.Length):G4}, not less than the clip C = {clientDp.ClipNorm:G4}, so no clip leaves the quantised update within C; set privacy.secure_aggregation.clip_range near C."));
        }

        if (task.SecureSession is { } bitSession && clientDp.ReportUnclippedBit && new FixedPointCodec(bitSession.Quantization).Step >= 0.5)
        {
            return (null, new Refused(_site, task.Round, "dp-quantisation",
                $"The ring's quantisation step {new FixedPointCodec(bitSession.Quantization).Step:G4} is not below ½, so the adaptive-clipping bit ±½ cannot be sent within its sensitivity ½; set privacy.secure_aggregation.clip_range near C."));
        }

        return (new PrivacyCharge.SampledGaussian(clientDp.JobId, task.Round.Value, 1.0, clientDp.NoiseMultiplier, 1), null);
    }

    /// <summary>The ledger's mechanism name of a distributed round: <c>distributed_discrete_gaussian</c> or <c>distributed_skellam</c>.</summary>
    /// <param name="mechanism">The sites' noise.</param>
    /// <returns>The name.</returns>
    public static string DistributedChargeMechanism(DistributedMechanism mechanism) =>
        "distributed_" + DistributedDp.Describe(mechanism).Replace('-', '_');

    /// <summary>
    /// The centred adaptive-clipping bit ±½ shrunk to ±m, m the largest float ≤ ½ − step (the secure layout carries
    /// floats), so that its stochastically rounded value stays within ±½: rounding gives ⌊x·s⌋/s or (⌊x·s⌋ + 1)/s,
    /// within one step 1/s of x, so |Q(x)| ≤ m + step ≤ ½. Without the shrink ½·s is generally not an integer
    /// (s = (2^(b−1) − 1)/c) and the rounded bit reaches ½ + step, beyond the sensitivity ½ the coordinator's noise on the
    /// bit sum is calibrated to. The bias (relative, about 3·10⁻⁸ in a 32-bit ring) only slows the clip's adaptation
    /// imperceptibly.
    /// </summary>
    /// <param name="centredBit">b − ½ (±½).</param>
    /// <param name="step">The ring's quantisation step (&lt; ½; the guard refuses coarser rings).</param>
    /// <returns>±m with the bit's sign.</returns>
    public static double QuantisableBit(double centredBit, double step)
    {
        double bound = 0.5 - step;
        float magnitude = (float)bound;
        while (magnitude > bound)
        {
            magnitude = MathF.BitDecrement(magnitude);
        }

        return Math.Sign(centredBit) * (double)magnitude;
    }

    /// <summary>
    /// How far quantisation can move a clipped update in L2: each of its d coordinates by less than one step, so
    /// ‖Q(x) − x‖₂ &lt; step·√d. The quantise stage clips to C minus this margin, so that the quantised update — what
    /// the sum is made of — has norm at most C, the sensitivity the noise is calibrated to.
    /// </summary>
    /// <param name="quantization">The round's fixed-point encoding.</param>
    /// <param name="parameters">d, the update's length.</param>
    /// <returns>step·√d.</returns>
    public static double QuantisationMargin(FixedPointOptions quantization, int parameters) =>
        new FixedPointCodec(quantization).Step * Math.Sqrt(parameters);
}
