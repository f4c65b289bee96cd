using Consortia.Learning.Export;
using Consortia.Learning.Export.Onnx;
using Consortia.Learning.Models;
using Consortia.TestKit;

namespace Consortia.Learning.Tests.Export.Onnx;

/// <summary>The exported ONNX files, run in ONNX Runtime, predict what our own models predict.</summary>
public sealed class OnnxModelExporterTests
{
    public static TheoryData<string> Models => new() { "logistic", "mlp", "mlp-deep", "cox" };

    private static ModelSpec Spec(string name) => name switch
    {
        "logistic" => new ModelSpec(ModelKind.Logistic, 13, []),
        "mlp" => new ModelSpec(ModelKind.Mlp, 7, [16]),
        "mlp-deep" => new ModelSpec(ModelKind.Mlp, 5, [8, 4]),
        "cox" => new ModelSpec(ModelKind.CoxPh, 9, []),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Seeded parameters (initialisation scaled up, so that hidden units are active and outputs spread) and features.</summary>
    private static (ParameterVector Parameters, float[] Features, int Rows) Setup(ModelSpec spec)
    {
        const int rows = 257; // not a multiple of any kernel's block size
        RandomSource random = new(20261207);
        ParameterVector parameters = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(parameters.Values, random.Derive("init"));
        System.Numerics.Tensors.TensorPrimitives.Multiply(parameters.Values, 3f, parameters.Values);
        float[] x = new float[rows * spec.FeatureCount];
        RandomSource data = random.Derive("data");
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(1.5 * data.NextGaussian());
        }

        return (parameters, x, rows);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Export_RunInOnnxRuntime_MatchesPredictTo1e5(string name)
    {
        ModelSpec spec = Spec(name);
        (ParameterVector parameters, float[] x, int rows) = Setup(spec);
        float[] expected = new float[rows];
        spec.CreateModel(64).Predict(parameters.Values, x, expected);

        byte[] onnx = OnnxModelExporter.Export(spec, parameters, [new("job", "test")]);
        (float[] actual, string output, long[] shape) = OnnxModelRunner.Run(onnx, OnnxModelExporter.InputName, x, rows);

        Assert.Equal(OnnxModelExporter.OutputName(spec.Kind), output);
        Assert.Equal([rows, 1L], shape);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-5, $"{name}: largest difference {worst}");
        Assert.True(expected.Max() - expected.Min() > 0.1, $"{name}: predictions barely vary ({expected.Min()}..{expected.Max()}), the comparison would say little");
    }

    [Fact]
    public void Export_ParametersOfAnotherLayout_ThrowsNamingBothLayouts()
    {
        ParameterVector mlp = new(Spec("mlp").CreateLayout());

        ArgumentException error = Assert.Throws<ArgumentException>(() => OnnxModelExporter.Export(Spec("logistic"), mlp));

        Assert.Contains("layer0.weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("linear.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_NonFiniteParameter_Throws()
    {
        ParameterVector parameters = new(Spec("logistic").CreateLayout());
        parameters.Values[3] = float.NaN;

        ArgumentException error = Assert.Throws<ArgumentException>(() => OnnxModelExporter.Export(Spec("logistic"), parameters));

        Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void SpecFor_EachModelsLayout_RecognisesKindFeaturesAndHiddenLayers(string name)
    {
        ModelSpec spec = Spec(name);

        ModelSpec recognised = ModelLayouts.SpecFor(spec.CreateLayout());

        Assert.Equal(spec.Kind, recognised.Kind);
        Assert.Equal(spec.FeatureCount, recognised.FeatureCount);
        Assert.Equal(spec.HiddenLayers, recognised.HiddenLayers);
    }

    [Fact]
    public void SpecFor_UnknownLayout_ThrowsNamingTheSegments()
    {
        ParameterLayout layout = ParameterLayout.Create(("encoder.weight", [4, 3]));

        ArgumentException error = Assert.Throws<ArgumentException>(() => ModelLayouts.SpecFor(layout));

        Assert.Contains("encoder.weight", error.Message, StringComparison.Ordinal);
    }
}
