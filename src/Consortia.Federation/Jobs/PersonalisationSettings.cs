namespace Consortia.Federation.Jobs;

/// <summary>The job file's <c>personalisation:</c> section: how each site adapts the federated model to its own population.</summary>
/// <remarks>
/// Personal parameters (Ditto's model, a FedPer head) are kept in the site's memory and used only for the site's own
/// evaluation; the site's update never carries them (a FedPer head's coordinates are sent as zeros) and the
/// coordinator receives only their aggregate test metrics (<see cref="Sites.EvaluationReport.Personal"/>).
/// </remarks>
public sealed record PersonalisationSettings
{
    /// <summary>The method.</summary>
    /// <value>Default: <see cref="PersonalisationMethod.Ditto"/>.</value>
    public PersonalisationMethod Method { get; init; } = PersonalisationMethod.Ditto;

    /// <summary>Ditto's λ: the strength of the pull of the personal model toward the global one (0 = local training only; large = the global model).</summary>
    /// <value>Default: 0.1.</value>
    public double Lambda { get; init; } = 0.1;

    /// <summary>Personal optimizer steps: per round for Ditto, at evaluation for fine-tuning; <see langword="null"/> for as many as the job's local training takes.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public int? LocalSteps { get; init; }

    /// <summary>The personal optimizer's learning rate; <see langword="null"/> for the job's local learning rate.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public float? LearningRate { get; init; }

    /// <summary>Checks the settings and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (!double.IsFinite(Lambda) || Lambda < 0)
        {
            throw new ArgumentException($"personalisation.lambda: expected a finite value ≥ 0, got {Lambda}.");
        }

        if (LocalSteps is <= 0)
        {
            throw new ArgumentException($"personalisation.local_steps: expected a positive integer, got {LocalSteps}.");
        }

        if (LearningRate is { } rate && (!float.IsFinite(rate) || rate <= 0))
        {
            throw new ArgumentException($"personalisation.learning_rate: expected a positive value, got {rate}.");
        }
    }
}
