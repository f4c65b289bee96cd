using System.Globalization;

namespace Consortia.Federation.Simulation;

/// <summary>The warnings the design reference asks for when a run's differential privacy is weak or not real.</summary>
/// <remarks>
/// Reference §4.6: a client-level ε above 10 is no meaningful guarantee; §3.4: adaptive clipping with z_Δ/z ≥ 2 spends
/// most of the noise budget on the clipping bit; §3.6: seeded noise (simulation) can be removed by anyone who knows the
/// seed. They are warnings, not refusals: a simulation may explore such settings, but its output must say so.
/// </remarks>
public static class PrivacyWarnings
{
    /// <summary>The client-level ε above which a warning is given.</summary>
    public const double ClientLevelEpsilonLimit = 10;

    /// <summary>The ratio z_Δ/z from which adaptive clipping is warned about.</summary>
    public const double UpdateNoiseRatioLimit = 2;

    /// <summary>The warnings for a run.</summary>
    /// <param name="result">The run.</param>
    /// <param name="seededNoise">Whether its DP noise was drawn from the job seed (in-process simulation) rather than a CSPRNG.</param>
    /// <returns>One sentence per warning, in a fixed order; empty when there is nothing to warn about.</returns>
    public static IReadOnlyList<string> For(SimulationResult result, bool seededNoise)
    {
        ArgumentNullException.ThrowIfNull(result);
        CultureInfo c = CultureInfo.InvariantCulture;
        List<string> warnings = [];
        if (result.ClientPrivacy is { } client)
        {
            if (client.Epsilon > ClientLevelEpsilonLimit)
            {
                warnings.Add(string.Create(c, $"client-level ε = {client.Epsilon:G4} is above {ClientLevelEpsilonLimit}: such a guarantee says little about whether a whole site took part; with few sites, prefer sample-level DP-SGD (design reference §4.6)."));
            }

            if (client.UpdateNoiseMultiplier / client.NoiseMultiplier >= UpdateNoiseRatioLimit)
            {
                warnings.Add(string.Create(c, $"adaptive clipping: the update's noise multiplier z_Δ = {client.UpdateNoiseMultiplier:G4} is {client.UpdateNoiseMultiplier / client.NoiseMultiplier:G3}× the total z = {client.NoiseMultiplier:G4} (≥ {UpdateNoiseRatioLimit}): the clipping bit takes most of the noise budget; raise privacy.dp.adaptive.bit_noise (design reference §3.4)."));
            }
        }

        bool dp = result.Job.Engine.Dp is not null || result.Job.ClientDp is not null;
        if (dp && seededNoise)
        {
            warnings.Add("the DP noise of this simulation is drawn from the job seed, so anyone with the seed can remove it: the ε reported is that of a real run, not a protection of this data; deployed sites draw noise from the operating system's CSPRNG.");
        }

        return warnings;
    }
}
