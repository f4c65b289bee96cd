using Consortia.Federation.Jobs;
using Consortia.Learning.Training;

namespace Consortia.Federation.Benchmarking;

/// <summary>One row of the FLamby benchmark: a baseline or a strategy with its recipe.</summary>
/// <param name="Name">The row name (e.g. <c>FedAvg</c>, <c>Local 2</c>, <c>Pooled</c>).</param>
/// <param name="FlambyName">The method name in FLamby's result files, or <see langword="null"/> when FLamby did not run it.</param>
/// <param name="Strategy">The strategy settings for federated rows; <see langword="null"/> for baselines.</param>
/// <param name="Training">Local training (federated rows) or baseline training.</param>
/// <param name="LocalSite">For a local baseline, the index of the site it trains on.</param>
/// <param name="Pooled">Whether this is the pooled baseline.</param>
/// <param name="Rounds">Federated rounds.</param>
/// <param name="Personalisation">For a personalised row, how each site personalises; the row reports each site's personal model. <see langword="null"/> otherwise.</param>
/// <param name="OwnSiteLocal">Whether this row is local-only training read at each center's own model (center c: the model trained on center c alone).</param>
public sealed record FlambyMethod(
    string Name,
    string? FlambyName,
    StrategySettings? Strategy,
    LocalTrainingOptions Training,
    int? LocalSite = null,
    bool Pooled = false,
    int Rounds = 0,
    PersonalisationSettings? Personalisation = null,
    bool OwnSiteLocal = false);
