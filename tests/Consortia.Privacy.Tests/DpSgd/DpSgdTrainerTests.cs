using System.Numerics.Tensors;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.DpSgd;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Privacy.Tests.DpSgd;

public sealed class DpSgdTrainerTests
{
    private static Dataset Separable(int rows, ulong seed, int features = 4)
    {
        RandomSource random = new(seed);
        float[] x = new float[rows * features];
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int f = 0; f < features; f++)
            {
                x[(r * features) + f] = (float)(3 * random.NextGaussian());
            }

            y[r] = x[r * features] > 0 ? 1f : 0f;
        }

        return new Dataset([.. Enumerable.Range(0, features).Select(i => $"f{i}")], x, y);
    }

    [Theory]
    [InlineData(ModelKind.Logistic)]
    [InlineData(ModelKind.Mlp)]
    public void Train_OneNoiselessStep_MovesTheModelByAtMostLearningRateTimesC(ModelKind kind)
    {
        BatchSampling sampling = BatchSampling.Poisson;
        ModelSpec spec = new(kind, 4, kind == ModelKind.Mlp ? [6] : []);
        Dataset data = Separable(64, 1);
        DpSgdTrainer trainer = new(spec);
        float[] start = new float[spec.CreateLayout().Length];
        spec.CreateModel(1).Initialize(start, new RandomSource(2));
        float[] p = (float[])start.Clone();
        LocalTrainingOptions options = new() { BatchSize = 16, LocalSteps = 1, Optimizer = new() { LearningRate = 1f } };

        trainer.Train(p, data, options, noiseMultiplier: 0, clipNorm: 0.1, sampling, new RandomSource(3), new SeededNoiseSource(new RandomSource(4)));

        // Σ of clipped gradients ≤ (rows in batch)·C; divided by the expected batch B. Poisson batches may exceed B.
        TensorPrimitives.Subtract(p, start, p);
        float bound = 0.1f * 64 / 16;
        Assert.True(TensorPrimitives.Norm<float>(p) <= bound + 1e-5f, $"moved {TensorPrimitives.Norm<float>(p)}");
        Assert.True(TensorPrimitives.Norm<float>(p) > 0);
    }

    [Fact]
    public void Train_FixedSizeBatches_RefusedNamingTheRule()
    {
        ModelSpec spec = new(ModelKind.Logistic, 4, []);
        float[] p = new float[spec.CreateLayout().Length];

        ArgumentException error = Assert.Throws<ArgumentException>(() => new DpSgdTrainer(spec).Train(
            p, Separable(32, 1), new LocalTrainingOptions { BatchSize = 8, LocalSteps = 1 }, 1.0, 1.0, BatchSampling.FixedSize, new RandomSource(1), new SeededNoiseSource(new RandomSource(2))));

        Assert.Contains("dp-poisson-sampling", error.Message, StringComparison.Ordinal);
        Assert.Contains("dp-poisson-sampling", Assert.Throws<ArgumentException>(() => new DpSgdOptions { NoiseMultiplier = 1, Sampling = BatchSampling.FixedSize }.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ReportsNoLoss_ItStaysAtTheSite()
    {
        ModelSpec spec = new(ModelKind.Logistic, 4, []);
        float[] p = new float[spec.CreateLayout().Length];

        LocalTrainingResult result = new DpSgdTrainer(spec).Train(
            p, Separable(32, 1), new LocalTrainingOptions { BatchSize = 8, LocalSteps = 3 }, 1.0, 1.0, BatchSampling.Poisson, new RandomSource(1), new SeededNoiseSource(new RandomSource(2)));

        Assert.True(double.IsNaN(result.MeanLoss));
        Assert.Equal(3, result.Steps);
    }

    [Fact]
    public void Train_SameSeeds_IsReproducible()
    {
        ModelSpec spec = new(ModelKind.Logistic, 4, []);
        Dataset data = Separable(100, 5);
        LocalTrainingOptions options = new() { BatchSize = 10, LocalSteps = 30, Optimizer = new() { LearningRate = 0.1f } };

        float[] Run()
        {
            float[] p = new float[5];
            new DpSgdTrainer(spec).Train(p, data, options, 1.0, 1.0, BatchSampling.Poisson, new RandomSource(6), new SeededNoiseSource(new RandomSource(7)));
            return p;
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Train_ModerateNoise_StillLearns()
    {
        ModelSpec spec = new(ModelKind.Logistic, 4, []);
        Dataset data = Separable(400, 8);
        float[] p = new float[5];
        LocalTrainingOptions options = new() { BatchSize = 40, LocalSteps = 200, Optimizer = new() { LearningRate = 0.5f } };

        new DpSgdTrainer(spec).Train(p, data, options, 1.0, 1.0, BatchSampling.Poisson, new RandomSource(9), new SeededNoiseSource(new RandomSource(10)));

        float[] prob = new float[data.Count];
        spec.CreateModel(data.Count).Predict(p, data.Features, prob);
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            correct += (prob[i] > 0.5f) == (data.Labels[i] == 1f) ? 1 : 0;
        }

        Assert.True(correct >= 0.9 * data.Count, $"{correct}/{data.Count}");
    }

    [Fact]
    public void Validate_BothSigmaAndTarget_IsRefused()
    {
        DpSgdOptions options = new() { NoiseMultiplier = 1, TargetEpsilon = 1 };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("privacy.dp", error.Message, StringComparison.Ordinal);
    }
}
