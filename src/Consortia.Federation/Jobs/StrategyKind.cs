namespace Consortia.Federation.Jobs;

/// <summary>The strategies a job file can name.</summary>
public enum StrategyKind
{
    /// <summary>Federated averaging.</summary>
    FedAvg,

    /// <summary>FedAvg with a proximal term μ at the sites (Li et al., 2020).</summary>
    FedProx,
}
