using BenchmarkDotNet.Attributes;
using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Benchmarks;

/// <summary>
/// The gradient of one batch of 64 rows, plain (mean gradient) against DP-SGD's per-example norms and
/// clipped sum (ghost clipping). The ratio of the two means is the per-example cost of DP-SGD's clipping.
/// Each operation is one example.
/// </summary>
[MemoryDiagnoser]
public class PerExampleClippingBenchmark
{
    private const int Rows = 64;
    private IModel _model = null!;
    private float[] _parameters = null!;
    private float[] _x = null!;
    private float[] _y = null!;
    private float[] _gradient = null!;
    private float[] _norms = null!;

    [Params("mlp-30-64-1", "mlp-1000-256-1")]
    public string Model { get; set; } = "mlp-30-64-1";

    [GlobalSetup]
    public void Setup()
    {
        int features = Model == "mlp-30-64-1" ? 30 : 1000;
        ModelSpec spec = new(ModelKind.Mlp, features, [Model == "mlp-30-64-1" ? 64 : 256]);
        _model = spec.CreateModel(Rows);
        RandomSource random = new(1);
        _parameters = new float[_model.Layout.Length];
        _model.Initialize(_parameters, random);
        _x = new float[Rows * features];
        _y = new float[Rows];
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = (float)random.NextGaussian();
        }

        for (int r = 0; r < Rows; r++)
        {
            _y[r] = r % 2;
        }

        _gradient = new float[_parameters.Length];
        _norms = new float[Rows];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows)]
    public float MeanGradient() => _model.LossAndGradient(_parameters, new Batch(_x, _y, default, Rows), _gradient);

    [Benchmark(OperationsPerInvoke = Rows)]
    public float ClippedPerExampleSum() => _model.ClippedGradientSum(_parameters, new Batch(_x, _y, default, Rows), 1f, _gradient, _norms);
}
