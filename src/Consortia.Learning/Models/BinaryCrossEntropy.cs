using System.Numerics.Tensors;

namespace Consortia.Learning.Models;

/// <summary>Binary cross-entropy on logits, shared by the logistic and MLP output layers.</summary>
internal static class BinaryCrossEntropy
{
    /// <summary>
    /// Turns logits into the gradient of the mean loss with respect to each logit, in place, and returns the
    /// mean loss. Uses the stable form max(z,0) − y·z + log(1 + e^{−|z|}).
    /// </summary>
    public static float MeanLossAndLogitGradient(Span<float> logits, ReadOnlySpan<float> labels)
    {
        int n = logits.Length;
        double loss = 0;
        for (int r = 0; r < n; r++)
        {
            float z = logits[r];
            loss += MathF.Max(z, 0f) - (labels[r] * z) + MathF.Log(1f + MathF.Exp(-MathF.Abs(z)));
        }

        // d(mean loss)/dz = (σ(z) − y) / n.
        TensorPrimitives.Sigmoid(logits, logits);
        TensorPrimitives.Subtract(logits, labels, logits);
        TensorPrimitives.Multiply(logits, 1f / n, logits);
        return (float)(loss / n);
    }
}
