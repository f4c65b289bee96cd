using System.Numerics.Tensors;
using Consortia.Learning.Models;

namespace Consortia.Learning.Tests.Models;

/// <summary>DP-SGD's vectorised per-example norms and clipped sums against brute force.</summary>
public sealed class ClippedGradientTests
{
    public static TheoryData<string> Models => new() { "logistic", "mlp", "mlp-deep", "cox" };

    private static (IModel Model, float[] Parameters, float[] X, float[] Y, float[] T, int Rows) Setup(string name)
    {
        (ModelSpec spec, int rows) = name switch
        {
            "logistic" => (new ModelSpec(ModelKind.Logistic, 6, []), 12),
            "mlp" => (new ModelSpec(ModelKind.Mlp, 6, [10]), 12),
            "mlp-deep" => (new ModelSpec(ModelKind.Mlp, 5, [8, 4]), 9),
            "cox" => (new ModelSpec(ModelKind.CoxPh, 6, []), 12),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        RandomSource random = new(11);
        IModel model = spec.CreateModel(rows);
        float[] p = new float[model.Layout.Length];
        model.Initialize(p, random);
        float[] x = new float[rows * spec.FeatureCount];
        float[] y = new float[rows];
        float[] t = new float[rows];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(2 * random.NextGaussian());
        }

        for (int r = 0; r < rows; r++)
        {
            y[r] = r % 3 == 0 ? 0f : 1f;
            t[r] = (float)random.NextDouble() * 10;
        }

        return (model, p, x, y, t, rows);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ClippedGradientSum_NoEffectiveClip_EqualsBatchSizeTimesMeanGradient(string name)
    {
        (IModel model, float[] p, float[] x, float[] y, float[] t, int rows) = Setup(name);
        Batch batch = new(x, y, name == "cox" ? t : default, rows);
        float[] mean = new float[p.Length];
        float[] sum = new float[p.Length];
        float[] norms = new float[rows];

        model.LossAndGradient(p, batch, mean);
        model.ClippedGradientSum(p, batch, float.MaxValue, sum, norms);

        for (int i = 0; i < p.Length; i++)
        {
            Assert.Equal(mean[i] * rows, sum[i], 3);
        }
    }

    [Theory]
    [InlineData("logistic")]
    [InlineData("mlp")]
    [InlineData("mlp-deep")]
    public void ClippedGradientSum_MatchesPerExampleBruteForce(string name)
    {
        (IModel model, float[] p, float[] x, float[] y, float[] _, int rows) = Setup(name);
        int d = x.Length / rows;
        const float clip = 0.5f;
        float[] expected = new float[p.Length];
        float[] single = new float[p.Length];
        float[] expectedNorms = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            // A batch of one row: its mean gradient is that example's own gradient.
            model.LossAndGradient(p, new Batch(x.AsSpan(r * d, d), y.AsSpan(r, 1), default, 1), single);
            float norm = TensorPrimitives.Norm<float>(single);
            expectedNorms[r] = norm;
            TensorPrimitives.MultiplyAdd(single, Math.Min(1f, clip / norm), expected, expected);
        }

        float[] sum = new float[p.Length];
        float[] norms = new float[rows];
        model.ClippedGradientSum(p, new Batch(x, y, default, rows), clip, sum, norms);

        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(expectedNorms[r], norms[r], 3);
        }

        for (int i = 0; i < p.Length; i++)
        {
            Assert.Equal(expected[i], sum[i], 4);
        }

        Assert.True(TensorPrimitives.Norm<float>(sum) <= (clip * rows) + 1e-4f);
    }
}
