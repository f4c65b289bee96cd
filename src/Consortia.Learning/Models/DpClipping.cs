namespace Consortia.Learning.Models;

/// <summary>The per-example clipping factor of DP-SGD.</summary>
internal static class DpClipping
{
    /// <summary>min(1, C/‖g‖), with a zero-norm gradient left as it is.</summary>
    public static float Scale(float norm, float clipNorm) => norm > clipNorm ? clipNorm / norm : 1f;
}
