using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;

namespace Consortia.Learning.Tests.Training;

public sealed class LocalTrainerTests
{
    private static Dataset SeparableData(int rows, ulong seed)
    {
        RandomSource random = new(seed);
        float[] x = new float[rows * 2];
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            x[2 * r] = (float)random.NextGaussian();
            x[(2 * r) + 1] = (float)random.NextGaussian();
            y[r] = x[2 * r] + x[(2 * r) + 1] > 0 ? 1f : 0f;
        }

        return new Dataset(["a", "b"], x, y);
    }

    [Fact]
    public void Train_SameSeed_GivesBitIdenticalParameters()
    {
        Dataset data = SeparableData(200, 1);
        ModelSpec spec = new(ModelKind.Mlp, 2, [8]);
        LocalTrainingOptions options = new() { BatchSize = 16, LocalEpochs = 3, Optimizer = new() { LearningRate = 0.1f } };

        float[] a = Run();
        float[] b = Run();

        Assert.Equal(a, b);

        float[] Run()
        {
            LocalTrainer trainer = new(spec, 16);
            float[] p = new float[spec.CreateLayout().Length];
            trainer.Model.Initialize(p, new RandomSource(3));
            trainer.Train(p, data, options, new RandomSource(4));
            return p;
        }
    }

    [Fact]
    public void Train_Logistic_LearnsSeparableData()
    {
        Dataset data = SeparableData(400, 2);
        ModelSpec spec = new(ModelKind.Logistic, 2, []);
        LocalTrainer trainer = new(spec, 32);
        float[] p = new float[3];

        LocalTrainingResult result = trainer.Train(p, data, new() { BatchSize = 32, LocalEpochs = 20, Optimizer = new() { Kind = OptimizerKind.Adam, LearningRate = 0.05f } }, new RandomSource(5));

        float[] prob = new float[data.Count];
        trainer.Model.Predict(p, data.Features, prob);
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            correct += (prob[i] >= 0.5f) == (data.Labels[i] == 1f) ? 1 : 0;
        }

        Assert.True(correct >= 0.95 * data.Count, $"accuracy {correct}/{data.Count}");
        Assert.Equal(20 * 13, result.Steps);
        Assert.Equal(20 * 400, result.ExamplesSeen);
    }

    [Fact]
    public void Train_ProximalTerm_PullsTowardAnchor()
    {
        Dataset data = SeparableData(100, 3);
        ModelSpec spec = new(ModelKind.Logistic, 2, []);
        float[] anchor = [0f, 0f, 0f];

        float Distance(float mu)
        {
            LocalTrainer trainer = new(spec, 10);
            float[] p = new float[3];
            trainer.Train(p, data, new() { BatchSize = 10, LocalSteps = 200, ProximalMu = mu, Optimizer = new() { LearningRate = 0.1f } }, new RandomSource(6), anchor);
            return System.Numerics.Tensors.TensorPrimitives.Norm<float>(p);
        }

        Assert.True(Distance(5f) < 0.5f * Distance(0f));
    }

    [Fact]
    public void Validate_ZeroSteps_IsRejected()
    {
        LocalTrainingOptions options = new() { LocalSteps = 0 };

        Assert.Throws<ArgumentException>(options.Validate);
    }
}
