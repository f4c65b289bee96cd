using Consortia.Learning;
using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies;

/// <summary>Which sites train in a round, how, and by when.</summary>
/// <param name="Sites">The selected sites.</param>
/// <param name="Training">The local training configuration sent to each.</param>
/// <param name="Deadline">How long the engine waits for replies; <see langword="null"/> waits for all.</param>
/// <param name="ControlVariate">SCAFFOLD's server control variate sent to every site, or <see langword="null"/>.</param>
public sealed record TrainingPlan(IReadOnlyList<SiteId> Sites, LocalTrainingOptions Training, TimeSpan? Deadline = null, ParameterVector? ControlVariate = null)
{
    /// <summary>Client-level DP-FedAvg: what each site must do with its update this round, or <see langword="null"/>.</summary>
    public Sites.ClientDpRound? ClientDp { get; init; }

    /// <summary>Over-selection: the engine keeps the first this-many updates that arrive and ignores the rest; <see langword="null"/> keeps all.</summary>
    public int? Keep { get; init; }

    /// <summary>Work sized to capacity: each listed site's own training configuration (its local steps fit the deadline); others get <see cref="Training"/>.</summary>
    public IReadOnlyDictionary<SiteId, LocalTrainingOptions>? SiteTraining { get; init; }

    /// <summary>FedNova: each site divides its weighted update by its local step count, so that sites doing unequal work pull the model equally per step.</summary>
    public bool NormaliseWork { get; init; }

    /// <summary>FedBuff: the round is one buffer of <see cref="Keep"/> updates; sites still working carry on into later
    /// rounds, and an update trained on an older model is weighted by 1/√(1 + staleness).</summary>
    public bool Asynchronous { get; init; }

    /// <summary>The training configuration sent to <paramref name="site"/>.</summary>
    /// <param name="site">A selected site.</param>
    /// <returns>Its configuration.</returns>
    public LocalTrainingOptions TrainingFor(SiteId site) =>
        SiteTraining is { } perSite && perSite.TryGetValue(site, out LocalTrainingOptions? own) ? own : Training;
}
