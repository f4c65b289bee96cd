using System.Numerics.Tensors;

namespace Consortia.Learning.Models;

/// <summary>
/// Linear Cox proportional-hazards model: risk score s = w·x, loss = negative Breslow partial
/// log-likelihood of the batch divided by the batch size.
/// </summary>
/// <remarks>
/// Breslow ties: the risk set of an event at time t holds every row with time ≥ t, tied rows included
/// (FLamby instead breaks ties by sort order; with no tied times the two agree). There is no intercept:
/// it cancels in the partial likelihood. Cox, D. R. (1972), "Regression models and life-tables";
/// Breslow, N. (1974), "Covariance analysis of censored survival data".
/// </remarks>
internal sealed class CoxProportionalHazardsModel : IModel
{
    private readonly int _features;
    private readonly float[] _scores;
    private readonly float[] _sortKeys;
    private readonly int[] _order;
    private readonly double[] _riskSums;
    private readonly float[] _scoreGradient;

    public CoxProportionalHazardsModel(ModelSpec spec, int maxBatchSize)
    {
        Spec = spec;
        Layout = spec.CreateLayout();
        MaxBatchSize = maxBatchSize;
        _features = spec.FeatureCount;
        _scores = new float[maxBatchSize];
        _sortKeys = new float[maxBatchSize];
        _order = new int[maxBatchSize];
        _riskSums = new double[maxBatchSize];
        _scoreGradient = new float[maxBatchSize];
    }

    public ModelSpec Spec { get; }

    public ParameterLayout Layout { get; }

    public int MaxBatchSize { get; }

    /// <remarks>Ignored: one dot product per row is too little work to split.</remarks>
    public int Threads { get; set; } = 1;

    public void Initialize(Span<float> parameters, RandomSource random)
    {
        float bound = 1f / MathF.Sqrt(_features);
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(((2.0 * random.NextDouble()) - 1.0) * bound);
        }
    }

    public float LossAndGradient(ReadOnlySpan<float> parameters, Batch batch, Span<float> gradient)
    {
        float loss = ScoreGradient(parameters, batch);
        int n = batch.Rows;
        int d = _features;
        Span<float> gs = _scoreGradient.AsSpan(0, n);
        Span<float> gw = gradient[..d];
        gw.Clear();
        for (int r = 0; r < n; r++)
        {
            TensorPrimitives.MultiplyAdd(batch.Features.Slice(r * d, d), gs[r], gw, gw);
        }

        if (Spec.L2 > 0f)
        {
            ReadOnlySpan<float> w = parameters[..d];
            loss += 0.5f * Spec.L2 * TensorPrimitives.Dot(w, w);
            TensorPrimitives.MultiplyAdd(w, Spec.L2, gw, gw);
        }

        return loss;
    }

    public float ClippedGradientSum(ReadOnlySpan<float> parameters, Batch batch, float clipNorm, Span<float> clippedSum, Span<float> norms)
    {
        float loss = ScoreGradient(parameters, batch);
        int n = batch.Rows;
        int d = _features;
        Span<float> gs = _scoreGradient.AsSpan(0, n);
        Span<float> gw = clippedSum[..d];
        gw.Clear();
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> x = batch.Features.Slice(r * d, d);
            float share = gs[r] * n; // row r's share of the summed (not averaged) batch gradient
            float norm = MathF.Abs(share) * MathF.Sqrt(TensorPrimitives.Dot(x, x));
            norms[r] = norm;
            TensorPrimitives.MultiplyAdd(x, share * DpClipping.Scale(norm, clipNorm), gw, gw);
        }

        return loss;
    }

    /// <summary>Fills the score buffer and d loss / d score for each row; returns the mean data loss.</summary>
    private float ScoreGradient(ReadOnlySpan<float> parameters, Batch batch)
    {
        int n = batch.Rows;
        int d = _features;
        ReadOnlySpan<float> w = parameters[..d];
        Span<float> s = _scores.AsSpan(0, n);
        for (int r = 0; r < n; r++)
        {
            s[r] = TensorPrimitives.Dot(batch.Features.Slice(r * d, d), w);
        }

        // Sort rows by ascending time; walking backwards gives the risk sets Σ_{T_j ≥ t} exp(s_j).
        Span<float> keys = _sortKeys.AsSpan(0, n);
        Span<int> order = _order.AsSpan(0, n);
        batch.Times[..n].CopyTo(keys);
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        keys.Sort(order);
        float max = TensorPrimitives.Max<float>(s);

        // riskSums[i] = Σ over rows with time ≥ time of sorted row i, ties included (Breslow).
        Span<double> risk = _riskSums.AsSpan(0, n);
        double running = 0;
        int end = n;
        while (end > 0)
        {
            int start = end - 1;
            while (start > 0 && keys[start - 1] == keys[end - 1])
            {
                start--;
            }

            for (int i = start; i < end; i++)
            {
                running += Math.Exp(s[order[i]] - max);
            }

            for (int i = start; i < end; i++)
            {
                risk[i] = running;
            }

            end = start;
        }

        // Loss and d loss / d s_k = (exp(s_k) Σ_{events i: T_i ≤ T_k} 1/S_i − E_k) / n.
        double loss = 0;
        double cumulative = 0;
        Span<float> gs = _scoreGradient.AsSpan(0, n);
        int begin = 0;
        while (begin < n)
        {
            int stop = begin + 1;
            while (stop < n && keys[stop] == keys[begin])
            {
                stop++;
            }

            for (int i = begin; i < stop; i++)
            {
                int row = order[i];
                if (batch.Labels[row] != 0f)
                {
                    loss -= s[row] - max - Math.Log(risk[i]);
                    cumulative += 1.0 / risk[i];
                }
            }

            for (int i = begin; i < stop; i++)
            {
                int row = order[i];
                gs[row] = (float)(((Math.Exp(s[row] - max) * cumulative) - batch.Labels[row]) / n);
            }

            begin = stop;
        }

        return (float)(loss / n);
    }

    public void Predict(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> output)
    {
        int d = _features;
        ReadOnlySpan<float> w = parameters[..d];
        int rows = features.Length / d;
        for (int r = 0; r < rows; r++)
        {
            output[r] = TensorPrimitives.Dot(features.Slice(r * d, d), w);
        }
    }
}
