using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;

namespace Consortia.Assurance.MembershipInference;

/// <summary>
/// The offline variant of the likelihood-ratio attack (LiRA, Carlini et al. 2022): shadow models trained the
/// way the target was, on random halves of a pool of records, tell the attacker how confident a model is on
/// each record when that record was NOT trained on; the target being much more confident than that suggests
/// membership.
/// </summary>
/// <remarks>
/// Per record the statistic is the logit-scaled confidence in its true label, φ = log p_y − log(1 − p_y),
/// which is close to Gaussian across shadow models. From the shadows that left the record out the attack fits
/// μ_out and σ_out, and scores the target's φ by the one-sided Gaussian tail Φ((φ − μ_out)/σ_out): high when
/// the target is more confident than any out-model would be. "Offline" means no shadow model is trained on the
/// record (no "in" distribution), so the shadows can be trained once, before the records to test are known.
/// </remarks>
public static class LiraOfflineAttack
{
    private const double ProbabilityFloor = 1e-12;

    /// <summary>Smallest standard deviation used, so that a record every shadow rates alike gives no infinity.</summary>
    private const double MinimumSigma = 1e-3;

    /// <summary>Scores every record of <paramref name="pool"/> against the target model.</summary>
    /// <param name="spec">The target's model specification (the attacker is assumed to know the recipe).</param>
    /// <param name="training">The target's training options, used for every shadow model.</param>
    /// <param name="targetParameters">The attacked model's parameters.</param>
    /// <param name="pool">The records to score; each shadow trains on a random half of them.</param>
    /// <param name="shadowModels">The number of shadow models (each record is out in about half).</param>
    /// <param name="random">Seeded source for shadow halves, initialisation and batching.</param>
    /// <returns>One score per record of <paramref name="pool"/> in [0, 1]; higher: more likely a member.</returns>
    /// <exception cref="ArgumentException">Fewer than 2 shadow models or records, or a Cox model.</exception>
    public static double[] Score(ModelSpec spec, LocalTrainingOptions training, ReadOnlySpan<float> targetParameters, Dataset pool, int shadowModels, RandomSource random) =>
        Score(TrainShadows(spec, training, pool, shadowModels, random), targetParameters);

    /// <summary>
    /// Trains the shadow models and keeps, per record of <paramref name="pool"/>, the Gaussian fit of its out-confidences:
    /// done once, it serves any number of targets trained with the same recipe (the "offline" in offline LiRA).
    /// </summary>
    /// <param name="spec">The target's model specification.</param>
    /// <param name="training">The recipe every shadow trains with.</param>
    /// <param name="pool">The records to score later; each shadow trains on a random half of them.</param>
    /// <param name="shadowModels">The number of shadow models.</param>
    /// <param name="random">Seeded source for shadow halves, initialisation and batching.</param>
    /// <returns>The per-record out-distributions.</returns>
    /// <exception cref="ArgumentException">Fewer than 2 shadow models or records, or a Cox model.</exception>
    public static LiraShadowStatistics TrainShadows(ModelSpec spec, LocalTrainingOptions training, Dataset pool, int shadowModels, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(random);
        if (spec.Kind == ModelKind.CoxPh)
        {
            throw new ArgumentException("LiRA needs a classifier; a Cox model has no per-record confidence.", nameof(spec));
        }

        if (shadowModels < 2 || pool.Count < 2)
        {
            throw new ArgumentException($"Expected at least 2 shadow models and 2 records, got {shadowModels} and {pool.Count}.", nameof(shadowModels));
        }

        int n = pool.Count;
        int half = n / 2;
        IModel predictor = spec.CreateModel(Math.Min(n, 256));
        var trainer = new LocalTrainer(spec, Math.Min(training.BatchSize, half));
        float[] shadow = new float[predictor.Layout.Length];
        double[] phi = new double[n];
        int[] order = new int[n];

        // Running sums of φ over the shadows that left each record out.
        double[] sum = new double[n];
        double[] sumSquares = new double[n];
        int[] outCount = new int[n];
        for (int k = 0; k < shadowModels; k++)
        {
            RandomSource shadowRandom = random.Derive((ulong)k);
            for (int i = 0; i < n; i++)
            {
                order[i] = i;
            }

            shadowRandom.Shuffle(order.AsSpan());
            predictor.Initialize(shadow, shadowRandom.Derive("init"));
            trainer.Train(shadow, pool.Select(order.AsSpan(0, half)), training with { BatchSize = Math.Min(training.BatchSize, half) }, shadowRandom.Derive("batches"));
            Confidences(predictor, shadow, pool, phi);
            foreach (int i in order.AsSpan(half))
            {
                sum[i] += phi[i];
                sumSquares[i] += phi[i] * phi[i];
                outCount[i]++;
            }
        }

        // Records out in fewer than two shadows get the pooled spread of all records' out-observations.
        double pooledVariance = PooledVariance(sum, sumSquares, outCount);
        double[] means = new double[n];
        double[] sigmas = new double[n];
        for (int i = 0; i < n; i++)
        {
            int c = outCount[i];
            double mean = c > 0 ? sum[i] / c : 0;
            double variance = c >= 2 ? Math.Max(0, (sumSquares[i] - (c * mean * mean)) / (c - 1)) : pooledVariance;
            means[i] = mean;
            sigmas[i] = Math.Max(Math.Sqrt(variance), MinimumSigma);
        }

        return new LiraShadowStatistics(predictor, pool, means, sigmas);
    }

    /// <summary>Scores every record of the shadows' pool against a target model.</summary>
    /// <param name="shadows">The shadows' per-record out-distributions.</param>
    /// <param name="targetParameters">The attacked model's parameters.</param>
    /// <returns>One score per pool record in [0, 1]; higher: more likely a member.</returns>
    public static double[] Score(LiraShadowStatistics shadows, ReadOnlySpan<float> targetParameters)
    {
        ArgumentNullException.ThrowIfNull(shadows);
        int n = shadows.Pool.Count;
        double[] phi = new double[n];
        Confidences(shadows.Predictor, targetParameters, shadows.Pool, phi);
        double[] scores = new double[n];
        for (int i = 0; i < n; i++)
        {
            scores[i] = NormalCdf((phi[i] - shadows.Means[i]) / shadows.Sigmas[i]);
        }

        return scores;
    }

    /// <summary>Writes φ = log p_y − log(1 − p_y) for every record.</summary>
    private static void Confidences(IModel model, ReadOnlySpan<float> parameters, Dataset data, Span<double> phi)
    {
        float[] p = new float[data.Count];
        model.Predict(parameters, data.Features, p);
        ReadOnlySpan<float> labels = data.Labels;
        for (int i = 0; i < p.Length; i++)
        {
            double py = Math.Clamp(labels[i] > 0.5f ? p[i] : 1 - p[i], ProbabilityFloor, 1 - ProbabilityFloor);
            phi[i] = Math.Log(py) - Math.Log(1 - py);
        }
    }

    private static double PooledVariance(double[] sum, double[] sumSquares, int[] count)
    {
        double within = 0;
        int degrees = 0;
        for (int i = 0; i < sum.Length; i++)
        {
            if (count[i] >= 2)
            {
                double mean = sum[i] / count[i];
                within += sumSquares[i] - (count[i] * mean * mean);
                degrees += count[i] - 1;
            }
        }

        return degrees > 0 ? Math.Max(0, within / degrees) : 1.0;
    }

    /// <summary>Φ(z) = ½·erfc(−z/√2), with erfc from Numerical Recipes' Chebyshev fit (relative error &lt; 1.2e-7).</summary>
    internal static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    private static double Erfc(double x)
    {
        ReadOnlySpan<double> c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
        double t = 1.0 / (1.0 + (0.5 * Math.Abs(x)));
        double poly = 0;
        for (int k = c.Length - 1; k >= 0; k--)
        {
            poly = (poly * t) + c[k];
        }

        double r = t * Math.Exp(-(x * x) + poly);
        return x >= 0 ? r : 2 - r;
    }
}
