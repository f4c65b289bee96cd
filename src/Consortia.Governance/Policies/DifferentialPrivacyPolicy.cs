using System.Globalization;

namespace Consortia.Governance.Policies;

/// <summary>A site's differential-privacy requirements and limits.</summary>
/// <param name="Required">Whether every job must use differential privacy.</param>
/// <param name="Mode">The required mode; <see langword="null"/> accepts either mode (only allowed when <paramref name="Required"/> is false).</param>
/// <param name="EpsilonCeilingPerJob">The largest ε one job may spend at this site.</param>
/// <param name="LifetimeEpsilonBudget">The total ε all jobs together may spend at this site.</param>
/// <param name="Delta">The largest δ a job may use.</param>
/// <remarks>The limits apply to every job that uses differential privacy, whether or not it is required.</remarks>
public sealed record DifferentialPrivacyPolicy(bool Required, DpMode? Mode, double EpsilonCeilingPerJob, double LifetimeEpsilonBudget, double Delta)
{
    /// <summary>
    /// <c>allow_trusted_coordinator</c>: whether client-level jobs may have the coordinator add the noise after it sees
    /// the noiseless sum (<c>trusted_coordinator: true</c>, or no secure aggregation). With <see langword="false"/> only
    /// distributed DP is accepted: every site adds its own share before masking.
    /// </summary>
    /// <value>Default: <see langword="true"/>.</value>
    public bool AllowTrustedCoordinator { get; init; } = true;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        const string prefix = "protections.differential_privacy.";
        if (Required && Mode is null)
        {
            throw new ArgumentException(prefix + "mode: required when differential privacy is required (sample-level or client-level).", nameof(Mode));
        }

        if (!(EpsilonCeilingPerJob > 0) || !double.IsFinite(EpsilonCeilingPerJob))
        {
            throw new ArgumentException(prefix + $"epsilon_ceiling_per_job: must be a positive finite number, got {EpsilonCeilingPerJob.ToString(CultureInfo.InvariantCulture)}.", nameof(EpsilonCeilingPerJob));
        }

        if (!(LifetimeEpsilonBudget > 0) || !double.IsFinite(LifetimeEpsilonBudget))
        {
            throw new ArgumentException(prefix + $"lifetime_epsilon_budget: must be a positive finite number, got {LifetimeEpsilonBudget.ToString(CultureInfo.InvariantCulture)}.", nameof(LifetimeEpsilonBudget));
        }

        if (EpsilonCeilingPerJob > LifetimeEpsilonBudget)
        {
            throw new ArgumentException(prefix + "epsilon_ceiling_per_job: must not exceed lifetime_epsilon_budget.", nameof(EpsilonCeilingPerJob));
        }

        if (!(Delta > 0) || !(Delta < 1))
        {
            throw new ArgumentException(prefix + $"delta: must be in (0, 1), got {Delta.ToString(CultureInfo.InvariantCulture)}.", nameof(Delta));
        }
    }
}
