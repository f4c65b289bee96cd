using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Consortia.TestKit;

/// <summary>Runs an ONNX file in ONNX Runtime (the reference implementation), for round-trip tests of our exporter.</summary>
public static class OnnxModelRunner
{
    /// <summary>Feeds <paramref name="features"/> (<paramref name="rows"/> × width, row-major) to the model's only input and returns its only output, flattened.</summary>
    /// <param name="model">The bytes of the .onnx file.</param>
    /// <param name="inputName">The input's name.</param>
    /// <param name="features">The features.</param>
    /// <param name="rows">The number of rows.</param>
    /// <returns>The output values and the output's name and shape, as ONNX Runtime reports them.</returns>
    public static (float[] Values, string Name, long[] Shape) Run(byte[] model, string inputName, float[] features, int rows)
    {
        ArgumentNullException.ThrowIfNull(features);
        using SessionOptions options = new() { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using InferenceSession session = new(model, options);
        DenseTensor<float> input = new(features, [rows, features.Length / rows]);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        DisposableNamedOnnxValue output = Assert.Single(results);
        Tensor<float> tensor = output.AsTensor<float>();
        return ([.. tensor], output.Name, [.. tensor.Dimensions.ToArray().Select(d => (long)d)]);
    }
}
