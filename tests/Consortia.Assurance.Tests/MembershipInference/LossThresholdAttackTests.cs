using System.Collections.Immutable;
using Consortia.Assurance.MembershipInference;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;

namespace Consortia.Assurance.Tests.MembershipInference;

public sealed class LossThresholdAttackTests(ITestOutputHelper output)
{
    // Few members and a wide network trained long: the model memorises them (mean training loss ≈ 7e-4), the
    // setting the red-team example uses so that the attack succeeds without protection.
    private const int MemberCount = 30;

    [Fact]
    public void Run_OverfittedMlpOnHeart_SeparatesMembersFromNonMembers()
    {
        (Dataset members, Dataset nonMembers) = Split(HeartData.Federation.Pooled.Train, MemberCount, seed: 11);
        var spec = new ModelSpec(ModelKind.Mlp, members.FeatureCount, [128, 128]);
        var trainer = new LocalTrainer(spec, MemberCount);
        float[] parameters = new float[trainer.Model.Layout.Length];
        trainer.Model.Initialize(parameters, new RandomSource(3));
        var options = new LocalTrainingOptions
        {
            BatchSize = MemberCount,
            LocalSteps = 3000,
            Optimizer = new OptimizerOptions { Kind = OptimizerKind.Adam, LearningRate = 0.01f },
        };
        trainer.Train(parameters, members, options, new RandomSource(5));

        MembershipAttackResult result = LossThresholdAttack.Run(spec.CreateModel(1), parameters, members, nonMembers);

        output.WriteLine($"loss-threshold MIA on Heart, MLP 128x128, {members.Count} members / {nonMembers.Count} non-members: AUC {result.Auc:F4}, TPR@1%FPR {result.TprAtOnePercentFpr:F4}");
        // Measured: AUC 0.6713 (seeded). An overfitted model is confident on unseen records too, so the
        // separation is partial; TPR at 1 % FPR is 0 here (the loss threshold has no per-record calibration).
        Assert.InRange(result.Auc, 0.62, 1.0);
    }

    [Fact]
    public void Run_NonMembersAgainstNonMembers_IsNearHalf()
    {
        Dataset population = HeartData.Federation.Pooled.Train;
        (Dataset trained, Dataset rest) = Split(population, MemberCount, seed: 11);
        var spec = new ModelSpec(ModelKind.Mlp, trained.FeatureCount, [64, 64]);
        var trainer = new LocalTrainer(spec, MemberCount);
        float[] parameters = new float[trainer.Model.Layout.Length];
        trainer.Model.Initialize(parameters, new RandomSource(3));
        trainer.Train(parameters, trained, new LocalTrainingOptions { BatchSize = MemberCount, LocalSteps = 300, Optimizer = new() { Kind = OptimizerKind.Adam, LearningRate = 0.01f } }, new RandomSource(5));

        // Neither half was trained on: the "members" label is a coin flip, so the attack must find nothing.
        (Dataset a, Dataset b) = Split(rest, rest.Count / 2, seed: 13);
        MembershipAttackResult result = LossThresholdAttack.Run(spec.CreateModel(1), parameters, a, b);

        output.WriteLine($"loss-threshold MIA, non-members vs non-members ({a.Count}/{b.Count}): AUC {result.Auc:F4}, TPR@1%FPR {result.TprAtOnePercentFpr:F4}");
        Assert.InRange(result.Auc, 0.42, 0.58);
    }

    [Fact]
    public void PerRecordLosses_MatchTheModelsMeanLoss()
    {
        Dataset data = HeartData.Federation.Sites[0].Train;
        var spec = new ModelSpec(ModelKind.Logistic, data.FeatureCount, ImmutableArray<int>.Empty);
        IModel model = spec.CreateModel(data.Count);
        float[] parameters = new float[model.Layout.Length];
        model.Initialize(parameters, new RandomSource(1));
        float meanLoss = model.LossAndGradient(parameters, Batch.Of(data), new float[parameters.Length]);

        double[] losses = LossThresholdAttack.PerRecordLosses(model, parameters, data);

        Assert.Equal(meanLoss, losses.Average(), 5);
    }

    [Fact]
    public void PerRecordLosses_CoxModel_IsRejected()
    {
        Dataset data = HeartData.Federation.Sites[0].Train;
        IModel cox = new ModelSpec(ModelKind.CoxPh, data.FeatureCount, ImmutableArray<int>.Empty).CreateModel(1);

        Assert.Throws<ArgumentException>(() => LossThresholdAttack.PerRecordLosses(cox, new float[cox.Layout.Length], data));
    }

    /// <summary>A seeded random split of <paramref name="data"/> into <paramref name="first"/> rows and the rest.</summary>
    internal static (Dataset First, Dataset Others) Split(Dataset data, int first, ulong seed)
    {
        int[] order = [.. Enumerable.Range(0, data.Count)];
        new RandomSource(seed).Shuffle(order.AsSpan());
        return (data.Select(order.AsSpan(0, first)), data.Select(order.AsSpan(first)));
    }
}
