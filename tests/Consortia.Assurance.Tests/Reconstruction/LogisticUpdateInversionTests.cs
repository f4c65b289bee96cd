using System.Collections.Immutable;
using Consortia.Assurance.Reconstruction;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;

namespace Consortia.Assurance.Tests.Reconstruction;

public sealed class LogisticUpdateInversionTests(ITestOutputHelper output)
{
    private static readonly LocalTrainingOptions s_oneStep = new()
    {
        BatchSize = 1,
        LocalSteps = 1,
        Optimizer = new OptimizerOptions { Kind = OptimizerKind.Sgd, LearningRate = 0.05f },
    };

    [Fact]
    public void Reconstruct_OneRecordSgdUpdateFromZeroGlobal_RecoversEveryHeartRecord()
    {
        // First round of a logistic job started from zeros: the update is exactly −lr·g in float32.
        Dataset records = HeartData.Federation.Pooled.Train;
        var spec = new ModelSpec(ModelKind.Logistic, records.FeatureCount, ImmutableArray<int>.Empty);

        double worst = WorstOneRecordError(spec, new float[spec.CreateLayout().Length], records);

        output.WriteLine($"one-record FedAvg update from a zero global (SGD lr 0.05, one step), {records.Count} records: worst max-abs error {worst:E2}");
        Assert.True(worst <= 1e-6, $"worst reconstruction error {worst:E3} > 1e-6");
    }

    [Fact]
    public void Reconstruct_OneRecordSgdUpdateFromRandomGlobal_ErrorIsOnlyParameterRounding()
    {
        // From a non-zero global the site sends fl(w − lr·g) and the coordinator subtracts w: the float32
        // rounding of the new parameters (≈ ulp(w)/2 ≈ 1.5e-8 for |w| ≈ 0.3) divided by lr·|p − y| bounds the
        // error. Measured over the 486 pooled records: 4.9e-6 at lr 0.05; the record is still recovered to 5 decimals.
        Dataset records = HeartData.Federation.Pooled.Train;
        var spec = new ModelSpec(ModelKind.Logistic, records.FeatureCount, ImmutableArray<int>.Empty);

        double worst = WorstOneRecordError(spec, InitialParameters(spec, seed: 21), records);

        output.WriteLine($"one-record FedAvg update from a random global (SGD lr 0.05, one step), {records.Count} records: worst max-abs error {worst:E2}");
        Assert.True(worst <= 3e-5, $"worst reconstruction error {worst:E3} > 3e-5");
    }

    [Fact]
    public void Reconstruct_OneRecordGradient_RecoversEveryHeartRecord()
    {
        // FedSGD: the site sends the gradient itself.
        Dataset records = HeartData.Federation.Pooled.Train;
        var spec = new ModelSpec(ModelKind.Logistic, records.FeatureCount, ImmutableArray<int>.Empty);
        float[] parameters = InitialParameters(spec, seed: 4);
        IModel model = spec.CreateModel(1);
        float[] gradient = new float[parameters.Length];
        double worst = 0;
        for (int row = 0; row < records.Count; row++)
        {
            model.LossAndGradient(parameters, Batch.Of(records.Select([row])), gradient);

            double[] recovered = LogisticUpdateInversion.Reconstruct(spec.CreateLayout(), gradient);

            worst = Math.Max(worst, LogisticUpdateInversion.MaxAbsError(recovered, records.Row(row)));
        }

        output.WriteLine($"one-record gradient, {records.Count} records: worst max-abs error {worst:E2}");
        Assert.True(worst <= 1e-6, $"worst reconstruction error {worst:E3} > 1e-6");
    }

    [Fact]
    public void Reconstruct_SumOfSiteUpdates_SinglesOutNoRecord()
    {
        // What secure aggregation reveals: the sum of the four sites' one-record updates.
        var sites = HeartData.Federation.Sites;
        var spec = new ModelSpec(ModelKind.Logistic, sites[0].Train.FeatureCount, ImmutableArray<int>.Empty);
        float[] global = InitialParameters(spec, seed: 21);
        float[] sum = new float[global.Length];
        foreach (var site in sites)
        {
            float[] update = OneStepUpdate(spec, global, site.Train.Select([0]));
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += update[i];
            }
        }

        double[] recovered = LogisticUpdateInversion.Reconstruct(spec.CreateLayout(), sum);

        double nearest = sites.Min(s => LogisticUpdateInversion.MaxAbsError(recovered, s.Train.Row(0)));
        output.WriteLine($"sum of {sites.Count} sites' one-record updates: error to the nearest true record {nearest:F4}");
        Assert.True(nearest > 0.1, $"the aggregate came within {nearest} of a single record");
    }

    [Fact]
    public void Reconstruct_MlpLayoutOrZeroBias_IsRejected()
    {
        var mlp = new ModelSpec(ModelKind.Mlp, 3, [4]);
        var logistic = new ModelSpec(ModelKind.Logistic, 3, ImmutableArray<int>.Empty);

        Assert.Throws<ArgumentException>(() => LogisticUpdateInversion.Reconstruct(mlp.CreateLayout(), new float[mlp.CreateLayout().Length]));
        Assert.Throws<ArgumentException>(() => LogisticUpdateInversion.Reconstruct(logistic.CreateLayout(), new float[3]));
        Assert.Throws<InvalidOperationException>(() => LogisticUpdateInversion.Reconstruct(logistic.CreateLayout(), [1, 2, 3, 0]));
    }

    private static double WorstOneRecordError(ModelSpec spec, float[] global, Dataset records)
    {
        double worst = 0;
        for (int row = 0; row < records.Count; row++)
        {
            float[] update = OneStepUpdate(spec, global, records.Select([row]));

            double[] recovered = LogisticUpdateInversion.Reconstruct(spec.CreateLayout(), update);

            worst = Math.Max(worst, LogisticUpdateInversion.MaxAbsError(recovered, records.Row(row)));
        }

        return worst;
    }

    private static float[] InitialParameters(ModelSpec spec, ulong seed)
    {
        float[] parameters = new float[spec.CreateLayout().Length];
        spec.CreateModel(1).Initialize(parameters, new RandomSource(seed));
        return parameters;
    }

    /// <summary>The FedAvg update (new − global) a site sends after one SGD step on <paramref name="record"/>.</summary>
    private static float[] OneStepUpdate(ModelSpec spec, float[] global, Dataset record)
    {
        float[] local = (float[])global.Clone();
        new LocalTrainer(spec, 1).Train(local, record, s_oneStep, new RandomSource(1));
        for (int i = 0; i < local.Length; i++)
        {
            local[i] -= global[i];
        }

        return local;
    }
}
