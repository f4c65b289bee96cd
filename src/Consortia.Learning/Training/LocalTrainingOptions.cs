using Consortia.Learning.Optimization;

namespace Consortia.Learning.Training;

/// <summary>How a site trains locally in one round (or a baseline trains from scratch).</summary>
public sealed record LocalTrainingOptions
{
    /// <summary>Rows per mini-batch.</summary>
    /// <value>Default: 32.</value>
    public int BatchSize { get; init; } = 32;

    /// <summary>Number of mini-batch steps; when set it takes precedence over <see cref="LocalEpochs"/>.</summary>
    /// <value>Default: <see langword="null"/> (train for <see cref="LocalEpochs"/> passes).</value>
    public int? LocalSteps { get; init; }

    /// <summary>Number of passes over the local data, used when <see cref="LocalSteps"/> is not set.</summary>
    /// <value>Default: 1.</value>
    public int LocalEpochs { get; init; } = 1;

    /// <summary>The local optimizer; a fresh one (zero state) is created for every round.</summary>
    /// <value>Default: SGD with learning rate 0.01.</value>
    public OptimizerOptions Optimizer { get; init; } = new();

    /// <summary>FedProx proximal coefficient μ: adds μ/2·‖w − w_global‖² to the local loss; 0 for none.</summary>
    /// <value>Default: 0.</value>
    public float ProximalMu { get; init; }

    /// <summary>
    /// q-FFL's fairness exponent q (Li et al., "Fair Resource Allocation in Federated Learning", ICLR 2020), or
    /// <see langword="null"/> for ordinary training: the site weights its update by its loss to the power q (q-FedAvg), so
    /// sites the model serves badly pull harder. Local training itself is unchanged; the site's update step applies it.
    /// </summary>
    /// <value>Default: <see langword="null"/>.</value>
    public float? FairnessQ { get; init; }

    /// <summary>How many threads one site's training may use: a site with a second core splits each batch's layer products across them.</summary>
    /// <value>Default: 1. Results are bit-identical for any value.</value>
    public int Threads { get; init; } = 1;

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (BatchSize <= 0)
        {
            throw new ArgumentException($"training.batch_size: expected a positive integer, got {BatchSize}.");
        }

        if (FairnessQ is { } q && !(q >= 0 && q <= 100))
        {
            throw new ArgumentException($"strategy.q: expected a number in [0, 100], got {q}.");
        }

        if (LocalSteps is <= 0 || LocalEpochs <= 0)
        {
            throw new ArgumentException("training.local_steps/local_epochs: expected a positive integer.");
        }

        if (!float.IsFinite(ProximalMu) || ProximalMu < 0f)
        {
            throw new ArgumentException($"strategy.mu: expected a finite value ≥ 0, got {ProximalMu}.");
        }

        if (Threads is < 1 or > 64)
        {
            throw new ArgumentException($"training.threads: expected an integer from 1 to 64, got {Threads}.");
        }

        Optimizer.Validate();
    }

    /// <summary>The number of optimizer steps these options give on <paramref name="rows"/> rows.</summary>
    /// <param name="rows">The number of local training rows.</param>
    /// <returns>The step count.</returns>
    public int StepsFor(int rows) =>
        LocalSteps ?? (LocalEpochs * ((rows + BatchSize - 1) / BatchSize));
}
