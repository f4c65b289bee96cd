using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Consortia.Learning;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Benchmarks;

/// <summary>
/// Gaussian noise for one DP-SGD step of the 1000→256→1 MLP (256,513 parameters): the previous path (53-bit double
/// Box–Muller in blocks of 1024, then a scalar loop adding σC·z to the float gradient, as the trainer did) against
/// the vectorised float transform adding in place (<see cref="INoiseSource.AddScaledStandardNormals"/>), both followed by
/// the division by the batch size, for the
/// seeded and the cryptographic source. Each operation is one normal: values/s = 10⁹ / (ns per operation).
/// </summary>
[MemoryDiagnoser]
public class GaussianNoiseBenchmark
{
    private const int Count = 256_513;
    private float[] _gradient = null!;
    private double[] _normals = null!;
    private INoiseSource _source = null!;
    private PreviousNoise _previous = null!;

    [Params("seeded", "cryptographic")]
    public string Source { get; set; } = "seeded";

    [GlobalSetup]
    public void Setup()
    {
        _gradient = new float[Count];
        _normals = new double[Count];
        _source = Source == "seeded" ? new SeededNoiseSource(new RandomSource(1)) : new CryptographicNoiseSource();
        _previous = new PreviousNoise(Source == "seeded" ? new RandomSource(1) : null);
    }

    /// <summary>The previous implementation: double normals, then σC·z added to the float gradient one by one.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Count)]
    public void PreviousDoubleBoxMuller()
    {
        _previous.NextStandardNormals(_normals);
        for (int i = 0; i < _gradient.Length; i++)
        {
            _gradient[i] = (float)((_gradient[i] + (1.0 * _normals[i])) / 64);
        }
    }

    /// <summary>The vectorised single-precision transform adding straight into the gradient, then the trainer's division.</summary>
    [Benchmark(OperationsPerInvoke = Count)]
    public void VectorisedFloatInPlace()
    {
        _source.AddScaledStandardNormals(_gradient, 1f);
        TensorPrimitives.Divide(_gradient, 64f, _gradient);
    }

    /// <summary>A copy of the sources' previous <c>NextStandardNormals</c> (bits per block, then the double transform).</summary>
    private sealed class PreviousNoise(RandomSource? seeded)
    {
        public void NextStandardNormals(Span<double> destination)
        {
            ulong[] words = ArrayPool<ulong>.Shared.Rent(BoxMuller.WordsFor(Math.Min(destination.Length, BoxMuller.MaxBlock)));
            try
            {
                while (!destination.IsEmpty)
                {
                    int count = Math.Min(destination.Length, BoxMuller.MaxBlock);
                    Span<ulong> block = words.AsSpan(0, BoxMuller.WordsFor(count));
                    if (seeded is null)
                    {
                        RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(block));
                    }
                    else
                    {
                        for (int i = 0; i < block.Length; i++)
                        {
                            block[i] = seeded.NextUInt64();
                        }
                    }

                    BoxMuller.Transform(block, destination[..count]);
                    destination = destination[count..];
                }
            }
            finally
            {
                ArrayPool<ulong>.Shared.Return(words, clearArray: seeded is null);
            }
        }
    }
}
