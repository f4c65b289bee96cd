namespace Consortia.Learning.Models;

/// <summary>A differentiable model over a flat parameter vector.</summary>
/// <remarks>
/// Implementations own scratch buffers sized for <see cref="MaxBatchSize"/> rows, so an instance must not
/// be shared between threads; create one per trainer with <see cref="ModelSpec.CreateModel"/>. Parameters
/// are always passed in, never stored, so one instance can evaluate any parameter vector of its layout.
/// </remarks>
public interface IModel
{
    /// <summary>The specification the model was built from.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The layout of the parameter vector.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>The largest batch the scratch buffers hold.</summary>
    public int MaxBatchSize { get; }

    /// <summary>How many threads one batch's products may use (1: the caller's thread only).</summary>
    /// <remarks>Results do not depend on it (each output value is computed in the same order); models whose work per batch is too small to split ignore it.</remarks>
    public int Threads { get; set; }

    /// <summary>Writes initial parameters (PyTorch's default <c>Linear</c> initialisation).</summary>
    /// <param name="parameters">The parameter vector to fill.</param>
    /// <param name="random">The seeded random source.</param>
    public void Initialize(Span<float> parameters, RandomSource random);

    /// <summary>Computes the mean loss over the batch and writes its gradient.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="batch">The batch; at most <see cref="MaxBatchSize"/> rows.</param>
    /// <param name="gradient">Receives the gradient of the mean loss (overwritten).</param>
    /// <returns>The mean loss over the batch, including any regularisation term.</returns>
    public float LossAndGradient(ReadOnlySpan<float> parameters, Batch batch, Span<float> gradient);

    /// <summary>
    /// For DP-SGD: computes each example's gradient norm and the sum of the per-example gradients, each
    /// clipped to L2 norm <paramref name="clipNorm"/>, without materialising one gradient per example.
    /// </summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="batch">The batch; at most <see cref="MaxBatchSize"/> rows.</param>
    /// <param name="clipNorm">The clipping bound C.</param>
    /// <param name="clippedSum">Receives Σᵣ gᵣ·min(1, C/‖gᵣ‖) (overwritten).</param>
    /// <param name="norms">Receives ‖gᵣ‖ for each row.</param>
    /// <returns>The mean data loss over the batch (without the L2 term).</returns>
    /// <remarks>
    /// The per-example gradient is that of the example's own loss term (not divided by the batch size);
    /// the L2 penalty does not depend on data and is left out (the caller adds it after noising). For a
    /// dense layer the per-example weight gradient is the outer product δ·aᵀ, so its squared norm is
    /// ‖δ‖²·‖a‖² ("ghost clipping"). For the Cox model, whose partial likelihood couples the rows of a
    /// batch, gᵣ is row r's additive share of the batch gradient.
    /// </remarks>
    public float ClippedGradientSum(ReadOnlySpan<float> parameters, Batch batch, float clipNorm, Span<float> clippedSum, Span<float> norms);

    /// <summary>Computes the model's output for every row.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="features">Row-major features of any number of rows.</param>
    /// <param name="output">Receives one value per row: the probability of class 1, or the Cox risk score.</param>
    public void Predict(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> output);
}
