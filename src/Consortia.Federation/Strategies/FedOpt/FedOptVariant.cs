namespace Consortia.Federation.Strategies.FedOpt;

/// <summary>The server optimizer of adaptive federated optimisation.</summary>
public enum FedOptVariant
{
    /// <summary>FedAdam: v ← β2·v + (1 − β2)·Δ².</summary>
    Adam,

    /// <summary>FedYogi: v ← v − (1 − β2)·Δ²·sign(v − Δ²).</summary>
    Yogi,

    /// <summary>FedAdagrad: v ← v + Δ².</summary>
    Adagrad,
}
