using BenchmarkDotNet.Attributes;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;

namespace Consortia.Benchmarks;

/// <summary>
/// Local training throughput: one pass of mini-batch SGD over 6,400 rows. Each operation is one example,
/// so BenchmarkDotNet's mean is the time per example (examples/s = 1e9 / mean in ns).
/// </summary>
[MemoryDiagnoser]
public class LocalTrainingBenchmark
{
    private const int Rows = 6400;
    private Dataset _data = null!;
    private LocalTrainer _trainer = null!;
    private float[] _initial = null!;
    private float[] _parameters = null!;
    private LocalTrainingOptions _options = null!;

    [Params("logistic-30", "mlp-30-64-1", "mlp-1000-256-1")]
    public string Model { get; set; } = "mlp-30-64-1";

    [GlobalSetup]
    public void Setup()
    {
        (ModelSpec spec, int features) = Model switch
        {
            "logistic-30" => (new ModelSpec(ModelKind.Logistic, 30, []), 30),
            "mlp-30-64-1" => (new ModelSpec(ModelKind.Mlp, 30, [64]), 30),
            "mlp-1000-256-1" => (new ModelSpec(ModelKind.Mlp, 1000, [256]), 1000),
            _ => throw new InvalidOperationException(Model),
        };
        RandomSource random = new(1);
        float[] x = new float[Rows * features];
        float[] y = new float[Rows];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextGaussian();
        }

        for (int r = 0; r < Rows; r++)
        {
            y[r] = x[r * features] > 0 ? 1f : 0f;
        }

        _data = new Dataset([.. Enumerable.Range(0, features).Select(i => $"f{i}")], x, y);
        _trainer = new LocalTrainer(spec, 64);
        _initial = new float[spec.CreateLayout().Length];
        _trainer.Model.Initialize(_initial, random);
        _parameters = new float[_initial.Length];
        _options = new LocalTrainingOptions { BatchSize = 64, LocalEpochs = 1, Optimizer = new() { LearningRate = 0.01f } };
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public LocalTrainingResult OneEpochBatch64()
    {
        _initial.CopyTo(_parameters, 0);
        return _trainer.Train(_parameters, _data, _options, new RandomSource(2));
    }
}
