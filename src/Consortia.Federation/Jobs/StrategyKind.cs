namespace Consortia.Federation.Jobs;

/// <summary>The strategies a job file can name (<c>strategy.kind</c>).</summary>
public enum StrategyKind
{
    /// <summary><c>fedavg</c>: federated averaging.</summary>
    FedAvg,

    /// <summary><c>fedprox</c>: FedAvg with a proximal term μ at the sites (Li et al., 2020).</summary>
    FedProx,

    /// <summary><c>scaffold</c>: control variates against client drift (Karimireddy et al., 2020).</summary>
    Scaffold,

    /// <summary><c>fedadam</c>: Adam on the server (Reddi et al., 2021).</summary>
    FedAdam,

    /// <summary><c>fedyogi</c>: Yogi on the server (Reddi et al., 2021).</summary>
    FedYogi,

    /// <summary><c>fedadagrad</c>: Adagrad on the server (Reddi et al., 2021).</summary>
    FedAdagrad,

    /// <summary><c>fedavgm</c>: server momentum (Hsu et al., 2019).</summary>
    FedAvgM,

    /// <summary><c>cyclic</c>: one site per round in turn.</summary>
    Cyclic,

    /// <summary><c>median</c>: coordinate-wise median (needs individual updates).</summary>
    Median,

    /// <summary><c>trimmed-mean</c>: coordinate-wise trimmed mean (needs individual updates).</summary>
    TrimmedMean,

    /// <summary><c>krum</c>: Krum (needs individual updates).</summary>
    Krum,

    /// <summary><c>multi-krum</c>: Multi-Krum (needs individual updates).</summary>
    MultiKrum,

    /// <summary><c>qffl</c>: q-FFL / q-FedAvg (Li et al. 2020): FedAvg with each site's update weighted by its loss to the power <c>q</c>, for fairness across sites.</summary>
    QFfl,
}
