using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Assurance.MembershipInference;

/// <summary>
/// What offline LiRA's shadow models learned: for each record of the pool, the mean and spread of a model's
/// logit-scaled confidence in it when the record was not trained on. Built by <see cref="LiraOfflineAttack.TrainShadows"/>.
/// </summary>
/// <remarks>Holds a model instance with scratch buffers: not thread-safe.</remarks>
public sealed class LiraShadowStatistics
{
    internal LiraShadowStatistics(IModel predictor, Dataset pool, double[] means, double[] sigmas)
    {
        Predictor = predictor;
        Pool = pool;
        Means = means;
        Sigmas = sigmas;
    }

    /// <summary>The records the statistics describe, in the order scores are returned.</summary>
    public Dataset Pool { get; }

    internal IModel Predictor { get; }

    internal double[] Means { get; }

    internal double[] Sigmas { get; }
}
