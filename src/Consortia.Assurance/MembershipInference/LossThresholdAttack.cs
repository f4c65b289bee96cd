using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Assurance.MembershipInference;

/// <summary>
/// The loss-threshold membership attack (Yeom et al. 2018): a model fits its training records better than
/// unseen ones, so a low loss suggests membership. The score is the negated per-record loss.
/// </summary>
public static class LossThresholdAttack
{
    /// <summary>Clamp for probabilities so that a confident wrong prediction gives a large finite loss.</summary>
    private const double ProbabilityFloor = 1e-12;

    /// <summary>The binary cross-entropy of each record under the model.</summary>
    /// <param name="model">A binary classifier (logistic regression or MLP).</param>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="data">The records, with 0/1 labels.</param>
    /// <returns>−[y·log p + (1−y)·log(1−p)] per record, p clamped to [1e-12, 1 − 1e-12].</returns>
    /// <exception cref="ArgumentException">The model is a Cox model or the feature counts differ.</exception>
    public static double[] PerRecordLosses(IModel model, ReadOnlySpan<float> parameters, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (model.Spec.Kind == ModelKind.CoxPh)
        {
            throw new ArgumentException("The loss-threshold attack needs a classifier; a Cox model has no per-record log-loss.", nameof(model));
        }

        if (data.FeatureCount != model.Spec.FeatureCount)
        {
            throw new ArgumentException($"The model expects {model.Spec.FeatureCount} features, the data has {data.FeatureCount}.", nameof(data));
        }

        float[] probabilities = new float[data.Count];
        model.Predict(parameters, data.Features, probabilities);
        double[] losses = new double[data.Count];
        ReadOnlySpan<float> labels = data.Labels;
        for (int i = 0; i < losses.Length; i++)
        {
            double p = Math.Clamp(probabilities[i], ProbabilityFloor, 1 - ProbabilityFloor);
            losses[i] = labels[i] > 0.5f ? -Math.Log(p) : -Math.Log(1 - p);
        }

        return losses;
    }

    /// <summary>Runs the attack: scores members and non-members by their negated loss.</summary>
    /// <param name="model">The attacked classifier.</param>
    /// <param name="parameters">Its parameters (e.g. the global model of a job).</param>
    /// <param name="members">Records the model was trained on.</param>
    /// <param name="nonMembers">Records from the same population it never saw.</param>
    /// <returns>The AUC, TPR at 1 % FPR and the scores.</returns>
    public static MembershipAttackResult Run(IModel model, ReadOnlySpan<float> parameters, Dataset members, Dataset nonMembers) =>
        MembershipAttackResult.FromScores(
            Negate(PerRecordLosses(model, parameters, members)),
            Negate(PerRecordLosses(model, parameters, nonMembers)));

    private static double[] Negate(double[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = -values[i];
        }

        return values;
    }
}
