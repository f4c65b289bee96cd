using System.Collections.Immutable;
using Consortia.Assurance.MembershipInference;
using Consortia.Assurance.Reconstruction;
using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.DpSgd;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Cli.RedTeam;

/// <summary>One row of the privacy red-team table: the attacks' success against a job trained at one ε.</summary>
/// <param name="Epsilon">The job's sample-level ε; <see langword="null"/>: no differential privacy.</param>
/// <param name="NoiseMultiplier">The σ the sites used (0 without DP).</param>
/// <param name="Accuracy">Mean test accuracy over the sites.</param>
/// <param name="LossAttack">The loss-threshold membership attack.</param>
/// <param name="LiraAttack">Offline LiRA.</param>
/// <param name="LogisticPlain">Worst max-abs error recovering one record from one site's one-record logistic update.</param>
/// <param name="LogisticSecAgg">Max-abs error of the same attack on the sum of the sites' updates, to the nearest record of any site.</param>
/// <param name="MlpPlain">Mean per-record max-abs error inverting one site's single-step MLP update on a small batch.</param>
/// <param name="MlpSecAgg">Mean max-abs error, to the nearest record of any site, inverting the sum of the sites' updates.</param>
internal sealed record PrivacyRow(
    double? Epsilon, double NoiseMultiplier, double Accuracy, MembershipAttackResult LossAttack, MembershipAttackResult LiraAttack,
    double LogisticPlain, double LogisticSecAgg, double MlpPlain, double MlpSecAgg)
{
    /// <summary>The stronger membership attack (higher AUC) reported as the row's MIA.</summary>
    public MembershipAttackResult Mia => LiraAttack.Auc >= LossAttack.Auc ? LiraAttack : LossAttack;
}

/// <summary>
/// <c>consortia redteam privacy</c>: trains a job with the real runner at each ε and attacks what it produced — the
/// global model (membership inference) and the updates a curious coordinator would see (reconstruction).
/// </summary>
/// <remarks>
/// Membership: members are every site's training records, non-members every site's held-out test records. Offline
/// LiRA's shadow models are trained once, centrally, with the job's local recipe (rounds × local steps, no DP) on
/// random halves of members ∪ non-members; they serve every ε. Reconstruction: at the job's initial global model, each
/// site takes one plain SGD step (the job's learning rate) on its first record (logistic model) or first
/// <see cref="MlpBatch"/> records (the job's MLP). With DP the step is DP-SGD's: per-record clipping to the job's C and
/// Gaussian noise σ·C with the σ the sites of that run were calibrated to. With secure aggregation the coordinator
/// sees only the sum over the sites of their updates weighted by their training-set sizes (what FedAvg sites mask);
/// the attack runs on it and is graded against the nearest record of any site.
/// Deterministic for the job seed.
/// </remarks>
internal static class PrivacyRedTeam
{
    /// <summary>Records per site in the MLP inversion scenario.</summary>
    public const int MlpBatch = 4;

    private static readonly MlpInversionOptions s_inversion = new() { BatchSize = MlpBatch, Iterations = 1000, Restarts = 2 };

    public static async Task<IReadOnlyList<PrivacyRow>> RunAsync(JobDefinition job, IReadOnlyList<double?> epsilons, int shadows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        string baseDirectory = job.SourcePath is { } path ? Path.GetDirectoryName(path) ?? "." : Directory.GetCurrentDirectory();
        FederatedDataset data = FederatedDataLoader.Load(job.Data, baseDirectory);
        if (data.Task != LearningTask.BinaryClassification || job.ModelKind != ModelKind.Mlp)
        {
            throw new JobFileException($"{job.SourcePath}: redteam privacy attacks a classifier MLP (model.kind: mlp); this job trains a {job.ModelKind} model for {data.Task}.");
        }

        ModelSpec spec = job.ModelFor(data.Sites[0].Train.FeatureCount);
        Dataset members = Dataset.Concat([.. data.Sites.Select(s => s.Train)]);
        Dataset nonMembers = Dataset.Concat([.. data.Sites.Select(s => s.Test)]);
        Dataset pool = Dataset.Concat([members, nonMembers]);
        RandomSource random = new RandomSource(job.Seed).Derive("redteam-privacy");
        LocalTrainingOptions recipe = job.Training with { LocalSteps = job.Engine.Rounds * job.Training.StepsFor(members.Count / data.Sites.Count) };
        LiraShadowStatistics lira = await Task.Run(() => LiraOfflineAttack.TrainShadows(spec, recipe, pool, shadows, random.Derive("shadows")), cancellationToken).ConfigureAwait(false);
        DpSgdOptions dpShape = job.Engine.Dp?.Options ?? new DpSgdOptions { TargetEpsilon = 1 };

        List<PrivacyRow> rows = [];
        foreach (double? epsilon in epsilons)
        {
            JobDefinition variant = job with
            {
                Engine = job.Engine with { Dp = epsilon is { } e ? new SiteDpSettings(dpShape with { TargetEpsilon = e, NoiseMultiplier = null }, job.Name, job.Engine.Rounds) : null },
            };
            SimulationResult result = await FederatedSimulation.RunAsync(variant, data, null, null, cancellationToken).ConfigureAwait(false);
            float[] model = result.Federated.FinalModel.Parameters.Values.ToArray();
            double accuracy = result.Final.Mean.First(m => m.Kind == MetricKind.Accuracy).Value;
            MembershipAttackResult loss = LossThresholdAttack.Run(spec.CreateModel(256), model, members, nonMembers);
            double[] scores = LiraOfflineAttack.Score(lira, model);
            MembershipAttackResult liraResult = MembershipAttackResult.FromScores(scores.AsSpan(0, members.Count).ToArray(), scores.AsSpan(members.Count).ToArray());

            double sigma = epsilon is null ? 0 : result.Privacy.Max(p => p.NoiseMultiplier);
            Noise? noise = epsilon is null ? null : new Noise(sigma, dpShape.ClipNorm);
            RandomSource noiseRandom = random.Derive(epsilon is { } eps ? $"noise-{eps:R}" : "noise-none");
            (double logisticPlain, double logisticSum) = AttackLogistic(job, data, noise, noiseRandom.Derive("logistic"));
            (double mlpPlain, double mlpSum) = await Task.Run(() => AttackMlp(job, spec, data, noise, noiseRandom.Derive("mlp"), random.Derive("inversion")), cancellationToken).ConfigureAwait(false);
            rows.Add(new PrivacyRow(epsilon, sigma, accuracy, loss, liraResult, logisticPlain, logisticSum, mlpPlain, mlpSum));
        }

        return rows;
    }

    /// <summary>DP-SGD's noise: per-record clipping to <paramref name="Clip"/>, Gaussian noise of standard deviation σ·C on the sum.</summary>
    private sealed record Noise(double Sigma, double Clip);

    /// <summary>Exact one-record inversion of a logistic update: worst error over the sites, and the error on their sum.</summary>
    private static (double Plain, double Sum) AttackLogistic(JobDefinition job, FederatedDataset data, Noise? noise, RandomSource random)
    {
        var spec = new ModelSpec(ModelKind.Logistic, data.Sites[0].Train.FeatureCount, ImmutableArray<int>.Empty);
        float[] global = new float[spec.CreateLayout().Length]; // the first round of a zero-initialised logistic job
        float[] sum = new float[global.Length];
        double worst = 0;
        for (int s = 0; s < data.Sites.Count; s++)
        {
            Dataset record = data.Sites[s].Train.Select([0]);
            float[] update = Update(spec, global, record, job.Training.Optimizer.LearningRate, noise, random.Derive((ulong)s));
            TensorAdd(sum, update, data.Sites[s].Train.Count);
            worst = Math.Max(worst, LogisticError(spec, update, record));
        }

        Dataset everyone = Dataset.Concat([.. data.Sites.Select(s => s.Train.Select([0]))]);
        return (worst, LogisticError(spec, sum, everyone));
    }

    /// <summary>Max-abs error of the logistic inversion against the nearest of <paramref name="candidates"/> (∞ when nothing can be recovered).</summary>
    private static double LogisticError(ModelSpec spec, float[] update, Dataset candidates)
    {
        double[] recovered;
        try
        {
            recovered = LogisticUpdateInversion.Reconstruct(spec.CreateLayout(), update);
        }
        catch (InvalidOperationException)
        {
            return double.PositiveInfinity; // bias component 0: the attack gets nothing
        }

        return ReconstructionError.ToNearest([recovered], candidates)[0];
    }

    /// <summary>Gradient inversion of one site's MLP batch update, and of the sum of all sites' updates.</summary>
    private static (double Plain, double Sum) AttackMlp(JobDefinition job, ModelSpec spec, FederatedDataset data, Noise? noise, RandomSource noiseRandom, RandomSource attackRandom)
    {
        float[] global = new float[spec.CreateLayout().Length];
        spec.CreateModel(1).Initialize(global, new RandomSource(job.Seed).Derive("init")); // the job's first global model
        float lr = job.Training.Optimizer.LearningRate;
        float[] sum = new float[global.Length];
        float[]? first = null;
        List<Dataset> batches = [];
        for (int s = 0; s < data.Sites.Count; s++)
        {
            Dataset batch = data.Sites[s].Train.Select([.. Enumerable.Range(0, Math.Min(MlpBatch, data.Sites[s].Train.Count))]);
            batches.Add(batch);
            float[] update = Update(spec, global, batch, lr, noise, noiseRandom.Derive((ulong)s));
            first ??= update;
            TensorAdd(sum, update, data.Sites[s].Train.Count);
        }

        MlpInversionOptions options = s_inversion with { BatchSize = batches[0].Count };
        MlpInversionResult plain = MlpGradientInversion.Reconstruct(spec, global, MlpGradientInversion.GradientFromSgdUpdate(first!, lr), options, attackRandom.Derive("plain"));
        MlpInversionResult summed = MlpGradientInversion.Reconstruct(spec, global, MlpGradientInversion.GradientFromSgdUpdate(sum, lr), options, attackRandom.Derive("sum"));
        return (
            ReconstructionError.PerRecord(plain.Features, batches[0]).Average(),
            ReconstructionError.ToNearest(summed.Features, Dataset.Concat(batches)).Average());
    }

    /// <summary>One SGD step on <paramref name="batch"/> from <paramref name="global"/>: new − global (plain, or DP-SGD's clipped and noised step).</summary>
    private static float[] Update(ModelSpec spec, float[] global, Dataset batch, float learningRate, Noise? noise, RandomSource random)
    {
        IModel model = spec.CreateModel(batch.Count);
        float[] gradient = new float[global.Length];
        if (noise is null)
        {
            model.LossAndGradient(global, Batch.Of(batch), gradient);
        }
        else
        {
            // Σ clip(gᵣ) + N(0, (σC)²), over the batch size: the DP-SGD step with the run's σ.
            model.ClippedGradientSum(global, Batch.Of(batch), (float)noise.Clip, gradient, new float[batch.Count]);
            GaussianMechanism.AddNoise(gradient, noise.Sigma, noise.Clip, new SeededNoiseSource(random));
            System.Numerics.Tensors.TensorPrimitives.Multiply(gradient, 1f / batch.Count, gradient);
        }

        float[] update = new float[global.Length];
        for (int i = 0; i < update.Length; i++)
        {
            update[i] = (global[i] - (learningRate * gradient[i])) - global[i]; // what the coordinator computes: new − old, in float32
        }

        return update;
    }

    /// <summary>sum += weight·update: with secure aggregation each site masks its update weighted by its number of training records.</summary>
    private static void TensorAdd(float[] sum, float[] update, int weight) => System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(update, weight, sum, sum);
}
