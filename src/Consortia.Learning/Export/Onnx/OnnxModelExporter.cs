using Consortia.Learning.Models;

namespace Consortia.Learning.Export.Onnx;

/// <summary>
/// Writes a trained model as an ONNX file: logistic regression as MatMul → Add → Sigmoid, an MLP as one
/// MatMul → Add → Relu block per hidden layer and MatMul → Add → Sigmoid at the output, a Cox model as its linear
/// predictor (MatMul: the log relative hazard w·x).
/// </summary>
/// <remarks>
/// The file targets ONNX IR version <see cref="IrVersion"/> and the default operator set at version
/// <see cref="OpsetVersion"/> (ONNX 1.8 and later, every ONNX Runtime since 1.6). Input <see cref="InputName"/> is
/// float32 <c>[N, features]</c> — the features after the job's preprocessing, in the data contract's order; the output
/// is float32 <c>[N, 1]</c>, named by <see cref="OutputName"/>. Weights are stored transposed (<c>[in, out]</c>), as
/// MatMul wants them; our layout keeps PyTorch's <c>[out, in]</c>.
/// </remarks>
public static class OnnxModelExporter
{
    /// <summary>The ONNX IR version written (7: ONNX 1.8).</summary>
    public const long IrVersion = 7;

    /// <summary>The version of the default (<c>ai.onnx</c>) operator set imported.</summary>
    public const long OpsetVersion = 13;

    /// <summary>The graph input's name.</summary>
    public const string InputName = "features";

    /// <summary>The graph output's name: <c>risk_score</c> for a Cox model (w·x), <c>probability</c> otherwise.</summary>
    /// <param name="kind">The model family.</param>
    /// <returns>The output name.</returns>
    public static string OutputName(ModelKind kind) => kind == ModelKind.CoxPh ? "risk_score" : "probability";

    /// <summary>Serialises the model as an ONNX <c>ModelProto</c>.</summary>
    /// <param name="spec">The model specification.</param>
    /// <param name="parameters">The trained parameters; their layout must be the specification's.</param>
    /// <param name="metadata">Key-value pairs written as the model's <c>metadata_props</c> (job, round, hash…).</param>
    /// <returns>The bytes of the <c>.onnx</c> file.</returns>
    /// <exception cref="ArgumentException">The parameters' layout is not the one <paramref name="spec"/> builds, or a value is not finite.</exception>
    public static byte[] Export(ModelSpec spec, ParameterVector parameters, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(parameters);
        spec.Validate();
        if (!parameters.Layout.Equals(spec.CreateLayout()))
        {
            throw new ArgumentException($"The parameters' layout ({parameters.Layout}) is not that of a {spec.Kind} model with {spec.FeatureCount} features ({spec.CreateLayout()}).", nameof(parameters));
        }

        if (!parameters.IsFinite())
        {
            throw new ArgumentException("The parameters hold NaN or infinite values; such a model cannot be exported.", nameof(parameters));
        }

        ProtobufWriter graph = new();
        graph.WriteString(GraphField.Name, "consortia_" + spec.Kind.ToString().ToLowerInvariant());
        string output = OutputName(spec.Kind);
        int[] widths = [spec.FeatureCount, .. spec.Kind == ModelKind.Mlp ? spec.HiddenLayers : [], 1];
        string current = InputName;
        for (int l = 0; l < widths.Length - 1; l++)
        {
            bool last = l == widths.Length - 2;
            string prefix = spec.Kind == ModelKind.Mlp ? $"layer{l}" : "linear";
            string weight = prefix + ".weight";
            graph.WriteMessage(GraphField.Initializer, Tensor(weight, Transpose(parameters.Segment(weight), widths[l + 1], widths[l]), widths[l], widths[l + 1]));
            string product = spec.Kind == ModelKind.CoxPh ? output : prefix + ".matmul";
            graph.WriteMessage(GraphField.Node, Node("MatMul", [current, weight], product));
            current = product;
            if (spec.Kind == ModelKind.CoxPh)
            {
                break; // no intercept: it cancels in the partial likelihood
            }

            string bias = prefix + ".bias";
            graph.WriteMessage(GraphField.Initializer, Tensor(bias, parameters.Segment(bias), widths[l + 1]));
            graph.WriteMessage(GraphField.Node, Node("Add", [current, bias], prefix + ".logit"));
            current = prefix + ".logit";
            string next = last ? output : prefix + ".relu";
            graph.WriteMessage(GraphField.Node, Node(last ? "Sigmoid" : "Relu", [current], next));
            current = next;
        }

        graph.WriteMessage(GraphField.Input, Value(InputName, spec.FeatureCount));
        graph.WriteMessage(GraphField.Output, Value(output, 1));

        ProtobufWriter model = new();
        model.WriteInt64(ModelField.IrVersion, IrVersion);
        model.WriteString(ModelField.ProducerName, "Consortia");
        model.WriteString(ModelField.ProducerVersion, typeof(OnnxModelExporter).Assembly.GetName().Version?.ToString() ?? "0");
        model.WriteString(ModelField.Domain, "org.consortia");
        model.WriteString(ModelField.DocString, spec.Kind == ModelKind.CoxPh
            ? "Cox proportional-hazards model: risk_score = w·x, the log relative hazard (no baseline hazard)."
            : $"{spec.Kind} classifier: probability of the positive label.");
        model.WriteMessage(ModelField.Graph, graph);
        model.WriteMessage(ModelField.OpsetImport, new ProtobufWriter().WriteString(1, "").WriteInt64(2, OpsetVersion));
        foreach ((string key, string value) in metadata ?? [])
        {
            model.WriteMessage(ModelField.MetadataProps, new ProtobufWriter().WriteString(1, key).WriteString(2, value));
        }

        return model.ToArray();
    }

    /// <summary>Our <c>[rows, columns]</c> row-major matrix as <c>[columns, rows]</c>.</summary>
    private static float[] Transpose(ReadOnlySpan<float> values, int rows, int columns)
    {
        float[] transposed = new float[values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                transposed[(c * rows) + r] = values[(r * columns) + c];
            }
        }

        return transposed;
    }

    /// <summary>A float32 <c>TensorProto</c> (dims 1, data_type 2, name 8, raw_data 9).</summary>
    private static ProtobufWriter Tensor(string name, ReadOnlySpan<float> values, params ReadOnlySpan<int> dims)
    {
        ProtobufWriter tensor = new();
        foreach (int d in dims)
        {
            tensor.WriteInt64(1, d);
        }

        return tensor.WriteInt64(2, FloatType).WriteString(8, name).WriteFloatsAsBytes(9, values);
    }

    /// <summary>A <c>NodeProto</c> (input 1, output 2, name 3, op_type 4).</summary>
    private static ProtobufWriter Node(string op, ReadOnlySpan<string> inputs, string output)
    {
        ProtobufWriter node = new();
        foreach (string input in inputs)
        {
            node.WriteString(1, input);
        }

        return node.WriteString(2, output).WriteString(3, output).WriteString(4, op);
    }

    /// <summary>A <c>ValueInfoProto</c> of a float32 <c>[N, width]</c> tensor, N symbolic (the batch).</summary>
    private static ProtobufWriter Value(string name, int width)
    {
        ProtobufWriter shape = new ProtobufWriter()
            .WriteMessage(1, new ProtobufWriter().WriteString(2, "N"))       // Dimension.dim_param
            .WriteMessage(1, new ProtobufWriter().WriteInt64(1, width));     // Dimension.dim_value
        ProtobufWriter tensorType = new ProtobufWriter().WriteInt64(1, FloatType).WriteMessage(2, shape); // elem_type, shape
        ProtobufWriter type = new ProtobufWriter().WriteMessage(1, tensorType);                          // TypeProto.tensor_type
        return new ProtobufWriter().WriteString(1, name).WriteMessage(2, type);
    }

    /// <summary><c>TensorProto.DataType.FLOAT</c>.</summary>
    private const int FloatType = 1;

    /// <summary>Field numbers of <c>ModelProto</c>.</summary>
    private static class ModelField
    {
        public const int IrVersion = 1, ProducerName = 2, ProducerVersion = 3, Domain = 4, DocString = 6, Graph = 7, OpsetImport = 8, MetadataProps = 14;
    }

    /// <summary>Field numbers of <c>GraphProto</c>.</summary>
    private static class GraphField
    {
        public const int Node = 1, Name = 2, Initializer = 5, Input = 11, Output = 12;
    }
}
