using System.Collections.Immutable;
using Consortia.Learning.Models;

namespace Consortia.Learning.Tests.Models;

/// <summary>Every model's analytic gradient against central finite differences of its loss.</summary>
public sealed class GradientCheckTests
{
    public static TheoryData<string> Models => new() { "logistic", "logistic-l2", "mlp", "mlp-deep", "cox", "cox-ties" };

    [Theory]
    [MemberData(nameof(Models))]
    public void LossAndGradient_MatchesFiniteDifferences(string name)
    {
        (ModelSpec spec, int rows, bool survival, bool ties) = name switch
        {
            "logistic" => (new ModelSpec(ModelKind.Logistic, 5, []), 16, false, false),
            "logistic-l2" => (new ModelSpec(ModelKind.Logistic, 5, [], L2: 0.3f), 16, false, false),
            "mlp" => (new ModelSpec(ModelKind.Mlp, 6, [8]), 12, false, false),
            "mlp-deep" => (new ModelSpec(ModelKind.Mlp, 4, [7, 5], L2: 0.1f), 10, false, false),
            "cox" => (new ModelSpec(ModelKind.CoxPh, 5, []), 20, true, false),
            "cox-ties" => (new ModelSpec(ModelKind.CoxPh, 4, []), 20, true, true),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        RandomSource random = new(7);
        IModel model = spec.CreateModel(rows);
        double[] parameters = new double[model.Layout.Length];
        float[] p = new float[model.Layout.Length];
        model.Initialize(p, random.Derive("init"));
        for (int i = 0; i < p.Length; i++)
        {
            parameters[i] = p[i];
        }

        float[] x = new float[rows * spec.FeatureCount];
        float[] y = new float[rows];
        float[] t = new float[rows];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextGaussian();
        }

        for (int r = 0; r < rows; r++)
        {
            y[r] = random.NextDouble() < 0.5 ? 1f : 0f;
            t[r] = ties ? random.NextInt(5) : (float)(random.NextDouble() * 100);
        }

        Batch batch = new(x, y, survival ? t : default, rows);
        float[] gradient = new float[p.Length];
        model.LossAndGradient(p, batch, gradient);

        // A step small enough that no ReLU kink is crossed, large enough that float rounding of the
        // loss (≈1e-7) stays well under the tolerance; compare relative to the gradient's scale.
        const float h = 5e-4f;
        float scale = Math.Max(1e-3f, gradient.Max(Math.Abs));
        for (int i = 0; i < p.Length; i++)
        {
            float original = p[i];
            p[i] = original + h;
            float plus = model.LossAndGradient(p, batch, new float[p.Length]);
            p[i] = original - h;
            float minus = model.LossAndGradient(p, batch, new float[p.Length]);
            p[i] = original;
            float numeric = (plus - minus) / (2 * h);
            Assert.True(
                Math.Abs(numeric - gradient[i]) <= 2e-3f * scale + 1e-4f,
                $"{name}: parameter {i}: analytic {gradient[i]} vs numeric {numeric}");
        }
    }

    [Fact]
    public void CoxLoss_NoTies_EqualsPartialLikelihoodByHand()
    {
        // Three rows, times 3 > 2 > 1, events at t=1 and t=3, scores 0.5, -1, 2 (w = [1], x = score).
        ModelSpec spec = new(ModelKind.CoxPh, 1, []);
        IModel model = spec.CreateModel(3);
        float[] x = [2f, -1f, 0.5f];
        float[] events = [1f, 0f, 1f];
        float[] times = [1f, 2f, 3f];
        float[] gradient = new float[1];

        float loss = model.LossAndGradient([1f], new Batch(x, events, times, 3), gradient);

        // event at t=1: risk set all three; event at t=3: only itself.
        double expected = -((2 - Math.Log(Math.Exp(2) + Math.Exp(-1) + Math.Exp(0.5))) + (0.5 - 0.5)) / 3;
        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void CoxLoss_TiedEventTimes_UsesBreslowRiskSet()
    {
        // Two events tied at t=1 and one censored at t=2: Breslow puts all three in both risk sets.
        ModelSpec spec = new(ModelKind.CoxPh, 1, []);
        IModel model = spec.CreateModel(3);
        float[] x = [1f, 0f, -1f];
        float[] events = [1f, 1f, 0f];
        float[] times = [1f, 1f, 2f];

        float loss = model.LossAndGradient([1f], new Batch(x, events, times, 3), new float[1]);

        double logDenominator = Math.Log(Math.E + 1 + Math.Exp(-1));
        double expected = -((1 - logDenominator) + (0 - logDenominator)) / 3;
        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void Predict_Mlp_MatchesForwardPassByHand()
    {
        ModelSpec spec = new(ModelKind.Mlp, 2, [2]);
        IModel model = spec.CreateModel(4);
        // layer0.weight [[1,-1],[0.5,2]], layer0.bias [0, -1], layer1.weight [[1, -2]], layer1.bias [0.25]
        float[] p = [1f, -1f, 0.5f, 2f, 0f, -1f, 1f, -2f, 0.25f];
        float[] output = new float[1];

        model.Predict(p, [3f, 1f], output);

        double h0 = Math.Max(0, 3 - 1), h1 = Math.Max(0, 1.5 + 2 - 1);
        double z = h0 - (2 * h1) + 0.25;
        Assert.Equal(1 / (1 + Math.Exp(-z)), output[0], 5);
    }

    [Fact]
    public void Layout_Mlp_HasNamedShapedSegments()
    {
        ModelSpec spec = new(ModelKind.Mlp, 30, ImmutableArray.Create(64));

        ParameterLayout layout = spec.CreateLayout();

        Assert.Equal(30 * 64 + 64 + 64 + 1, layout.Length);
        Assert.Equal([64, 30], layout["layer0.weight"].Shape);
        Assert.Equal(30 * 64, layout["layer0.bias"].Offset);
        Assert.Equal([1, 64], layout["layer1.weight"].Shape);
    }
}
