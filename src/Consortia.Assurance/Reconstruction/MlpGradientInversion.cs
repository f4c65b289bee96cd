using System.Numerics.Tensors;
using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Assurance.Reconstruction;

/// <summary>
/// Optimisation-based gradient inversion for small MLP batches: finds records (and labels) whose gradient matches an
/// observed one, as a curious coordinator would from a site's single-step update.
/// </summary>
/// <remarks>
/// The attack of Zhu et al. 2019 ("Deep Leakage from Gradients") with the cosine matching loss of Geiping et al. 2020
/// ("Inverting Gradients"): start from random records, and move them (Adam, step decaying to 1 %) down the derivative of
/// the matching loss, computed analytically by <see cref="MlpAttackNetwork"/> (no finite differences, no autodiff
/// library). Labels are optimised jointly as logits and rounded at the end. Several random starts; the best match is
/// kept. The attacker is assumed to know the model and the parameters the update was computed from (the coordinator
/// sent them). Deterministic for a given <see cref="RandomSource"/>.
/// </remarks>
public static class MlpGradientInversion
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double AdamEpsilon = 1e-12;

    /// <summary>Recovers the records behind an observed gradient of the model's mean log-loss.</summary>
    /// <param name="spec">The attacked MLP.</param>
    /// <param name="parameters">The parameters the gradient was computed at (the global model the coordinator sent).</param>
    /// <param name="observedGradient">The observed gradient, or anything proportional to it when matching by cosine (see <see cref="GradientFromSgdUpdate"/>).</param>
    /// <param name="options">Batch size guess and effort.</param>
    /// <param name="random">Seeded source of the random starts.</param>
    /// <returns>The best guess and its matching loss.</returns>
    /// <exception cref="ArgumentException">The model is not an MLP, or a length differs from the layout's.</exception>
    /// <exception cref="InvalidOperationException">The observed gradient is zero: there is nothing to invert.</exception>
    public static MlpInversionResult Reconstruct(ModelSpec spec, ReadOnlySpan<float> parameters, ReadOnlySpan<double> observedGradient, MlpInversionOptions options, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        if (spec.Kind != ModelKind.Mlp)
        {
            throw new ArgumentException($"Gradient inversion here attacks an MLP, not a {spec.Kind} model (a logistic update is inverted exactly by {nameof(LogisticUpdateInversion)}).", nameof(spec));
        }

        var network = new MlpAttackNetwork(spec, parameters.Length == spec.CreateLayout().Length ? parameters : throw new ArgumentException($"Expected {spec.CreateLayout().Length} parameters, got {parameters.Length}.", nameof(parameters)), options.BatchSize);
        if (observedGradient.Length != network.ParameterCount)
        {
            throw new ArgumentException($"Expected a gradient of {network.ParameterCount} values, got {observedGradient.Length}.", nameof(observedGradient));
        }

        double[] target = observedGradient.ToArray();
        if (spec.L2 > 0 && options.Matching == GradientMatching.SquaredError)
        {
            // The penalty's gradient does not depend on the records; only at the true scale can it be removed exactly.
            network.RemoveL2(target, spec.L2);
        }

        if (TensorPrimitives.Norm(target) == 0 || !double.IsFinite(TensorPrimitives.Norm(target)))
        {
            throw new InvalidOperationException("The observed gradient is zero or not finite: there is nothing to invert.");
        }

        int b = options.BatchSize;
        int d = network.FeatureCount;
        double[]? bestX = null, bestT = null;
        double bestLoss = double.PositiveInfinity;
        var state = new AdamState(b * d, b, network.ParameterCount);
        List<double[]> firstLayer = FirstLayerCandidates(network, target, b);
        for (int start = 0; start <= options.Restarts; start++)
        {
            // Start 0 from the first layer's ratios (when there are any), the others from random records.
            if (start == 0 && firstLayer.Count == 0)
            {
                continue;
            }

            RandomSource startRandom = random.Derive((ulong)start);
            double[] x = new double[b * d];
            double[] t = new double[b];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = start == 0 && i / d < firstLayer.Count ? firstLayer[i / d][i % d] : startRandom.NextGaussian();
            }

            // A start from the first layer's ratios is already close (exact for one record): Adam's first steps, of
            // about the step size in every coordinate, must not throw it away.
            double loss = Optimise(network, x, t, target, options, state, start == 0 ? options.LearningRate / 100 : options.LearningRate);
            if (loss < bestLoss)
            {
                (bestLoss, bestX, bestT) = (loss, x, t);
            }
        }

        // bestX/bestT are set: Restarts ≥ 1 and a finite loss always beats +∞ unless it is NaN.
        if (bestX is null || bestT is null)
        {
            throw new InvalidOperationException("The gradient-matching loss was not finite at any start.");
        }

        double[][] features = new double[b][];
        int[] labels = new int[b];
        for (int r = 0; r < b; r++)
        {
            features[r] = bestX.AsSpan(r * d, d).ToArray();
            labels[r] = bestT[r] > 0 ? 1 : 0;
        }

        return new MlpInversionResult(features, labels, bestLoss);
    }

    /// <summary>The gradient behind a one-step SGD update: g = −Δ/lr (with cosine matching any positive scale would do).</summary>
    /// <param name="update">The update new − old parameters.</param>
    /// <param name="learningRate">The step size of the job's recipe.</param>
    /// <returns>The gradient in double precision.</returns>
    public static double[] GradientFromSgdUpdate(ReadOnlySpan<float> update, double learningRate)
    {
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentException($"Expected a finite learning rate > 0, got {learningRate}.", nameof(learningRate));
        }

        double[] gradient = new double[update.Length];
        for (int i = 0; i < update.Length; i++)
        {
            gradient[i] = -update[i] / learningRate;
        }

        return gradient;
    }

    /// <summary>
    /// Up to <paramref name="batch"/> distinct starting records from the first layer: for unit j the weight-gradient row
    /// divided by the bias gradient is Σᵣ δᵣⱼ·xᵣ / Σᵣ δᵣⱼ, a weighted mean of the records the unit was active for, and
    /// exactly one record when only that record activated it (always so for a batch of one). Ratios shared by many
    /// units are most likely single records, so they are taken first.
    /// </summary>
    private static List<double[]> FirstLayerCandidates(MlpAttackNetwork network, double[] gradient, int batch)
    {
        (int units, int weightOffset, int biasOffset) = network.FirstLayer;
        int d = network.FeatureCount;
        double largestBias = TensorPrimitives.MaxMagnitude(gradient.AsSpan(biasOffset, units));
        List<double[]> ratios = [];
        for (int j = 0; j < units; j++)
        {
            double bias = gradient[biasOffset + j];
            if (Math.Abs(bias) <= 1e-6 * largestBias)
            {
                continue; // a unit no record activated, or one whose ratio would be mostly rounding
            }

            double[] ratio = new double[d];
            TensorPrimitives.Multiply(gradient.AsSpan(weightOffset + (j * d), d), 1.0 / bias, ratio);
            if (TensorPrimitives.MaxMagnitude(ratio) is double m && double.IsFinite(m) && m < 1e3)
            {
                ratios.Add(ratio);
            }
        }

        const double Same = 1e-4;
        int[] support = new int[ratios.Count];
        for (int i = 0; i < ratios.Count; i++)
        {
            for (int k = 0; k < ratios.Count; k++)
            {
                if (MaxAbsDifference(ratios[i], ratios[k]) <= Same * (1 + TensorPrimitives.MaxMagnitude(ratios[i])))
                {
                    support[i]++;
                }
            }
        }

        List<double[]> chosen = [];
        foreach (int i in Enumerable.Range(0, ratios.Count).OrderByDescending(i => support[i]).ThenBy(i => i))
        {
            if (chosen.Count == batch)
            {
                break;
            }

            if (chosen.TrueForAll(c => MaxAbsDifference(c, ratios[i]) > 1e-2))
            {
                chosen.Add(ratios[i]);
            }
        }

        return chosen;
    }

    private static double MaxAbsDifference(double[] a, double[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }

    /// <summary>
    /// One start: labels chosen by trying every 0/1 assignment at the start (soft, so they can still move), Adam on
    /// records and labels with the step decaying 100-fold, then labels rounded to exact 0/1 and the records refined with
    /// another 100-fold decay (a label that is only nearly 0 or 1 would leave a gradient mismatch the records would absorb).
    /// </summary>
    private static double Optimise(MlpAttackNetwork network, double[] x, double[] t, double[] target, MlpInversionOptions options, AdamState state, double learningRate)
    {
        const double Soft = 2.0, Hard = 40.0; // σ(40) = 1 in double precision
        ChooseLabels(network, x, t, target, options, state, Soft);
        int first = Math.Max(1, options.Iterations * 2 / 3);
        if (!Descend(network, x, t, target, options, state, first, learningRate, learningRate / 100))
        {
            return double.PositiveInfinity;
        }

        for (int r = 0; r < t.Length; r++)
        {
            t[r] = t[r] > 0 ? Hard : -Hard;
        }

        if (!Descend(network, x, t, target, options, state, Math.Max(1, options.Iterations - first), learningRate / 100, learningRate / 10_000))
        {
            return double.PositiveInfinity;
        }

        return network.LossAndGuessGradient(x, t, target, options.Matching, state.Gradient, state.FeatureGradient, state.LabelGradient);
    }

    /// <summary>Sets <paramref name="t"/> to the ±<paramref name="magnitude"/> assignment that matches best at the current records (all 2^B tried, B ≤ 10; else left).</summary>
    private static void ChooseLabels(MlpAttackNetwork network, double[] x, double[] t, double[] target, MlpInversionOptions options, AdamState state, double magnitude)
    {
        int b = t.Length;
        if (b > 10)
        {
            return;
        }

        double best = double.PositiveInfinity;
        int bestMask = 0;
        for (int mask = 0; mask < 1 << b; mask++)
        {
            for (int r = 0; r < b; r++)
            {
                t[r] = (mask >> r & 1) == 1 ? magnitude : -magnitude;
            }

            double loss = network.LossAndGuessGradient(x, t, target, options.Matching, state.Gradient, state.FeatureGradient, state.LabelGradient);
            if (loss < best)
            {
                (best, bestMask) = (loss, mask);
            }
        }

        for (int r = 0; r < b; r++)
        {
            t[r] = (bestMask >> r & 1) == 1 ? magnitude : -magnitude;
        }
    }

    /// <summary>Adam with the step decaying exponentially from <paramref name="from"/> to <paramref name="to"/>; false when the loss stops being finite.</summary>
    private static bool Descend(MlpAttackNetwork network, double[] x, double[] t, double[] target, MlpInversionOptions options, AdamState state, int iterations, double from, double to)
    {
        state.Reset();
        for (int step = 1; step <= iterations; step++)
        {
            double loss = network.LossAndGuessGradient(x, t, target, options.Matching, state.Gradient, state.FeatureGradient, state.LabelGradient);
            if (!double.IsFinite(loss))
            {
                return false;
            }

            double lr = from * Math.Pow(to / from, (step - 1) / (double)Math.Max(1, iterations - 1));
            AdamState.Step(x, state.FeatureGradient, state.FeatureMoments, lr, step);
            AdamState.Step(t, state.LabelGradient, state.LabelMoments, lr, step);
        }

        return true;
    }

    /// <summary>Adam's buffers for one start (reused across starts).</summary>
    private sealed class AdamState(int features, int labels, int parameters)
    {
        public double[] Gradient { get; } = new double[parameters];

        public double[] FeatureGradient { get; } = new double[features];

        public double[] LabelGradient { get; } = new double[labels];

        public (double[] M, double[] V) FeatureMoments { get; } = (new double[features], new double[features]);

        public (double[] M, double[] V) LabelMoments { get; } = (new double[labels], new double[labels]);

        public void Reset()
        {
            Array.Clear(FeatureMoments.M);
            Array.Clear(FeatureMoments.V);
            Array.Clear(LabelMoments.M);
            Array.Clear(LabelMoments.V);
        }

        public static void Step(double[] values, double[] gradient, (double[] M, double[] V) moments, double lr, int step)
        {
            double c1 = 1 - Math.Pow(Beta1, step);
            double c2 = 1 - Math.Pow(Beta2, step);
            for (int i = 0; i < values.Length; i++)
            {
                double g = gradient[i];
                moments.M[i] = (Beta1 * moments.M[i]) + ((1 - Beta1) * g);
                moments.V[i] = (Beta2 * moments.V[i]) + ((1 - Beta2) * g * g);
                values[i] -= lr * (moments.M[i] / c1) / (Math.Sqrt(moments.V[i] / c2) + AdamEpsilon);
            }
        }
    }
}
