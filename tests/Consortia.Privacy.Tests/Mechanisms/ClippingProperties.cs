using Consortia.Learning;
using Consortia.Privacy.Mechanisms;
using FsCheck;
using FsCheck.Xunit;

namespace Consortia.Privacy.Tests.Mechanisms;

/// <summary>The sensitivity bound holds for any finite vector and bound (seeds pinned with <c>Replay</c>).</summary>
public sealed class ClippingProperties
{
    [Property(MaxTest = 100, Replay = "(31337,2719)")]
    public bool ClipInPlace_AnyFiniteVector_NormAtMostBound(NormalFloat[] raw, PositiveInt scaleExponent, PositiveInt clipRaw)
    {
        double clip = Math.Pow(10, (clipRaw.Get % 9) - 4);
        double scale = Math.Pow(10, (scaleExponent.Get % 20) - 10);
        float[] values = raw.Select(f => (float)(f.Get * scale)).Where(float.IsFinite).ToArray();

        float[] original = (float[])values.Clone();

        double before = L2Clipping.ClipInPlace(values, clip);

        double after = 0;
        foreach (float v in values)
        {
            after += (double)v * v;
        }

        after = Math.Sqrt(after);
        return after <= clip && (before > clip || values.AsSpan().SequenceEqual(original));
    }

    [Property(MaxTest = 50, Replay = "(99,101)")]
    public bool ClipInPlace_SeededGaussianVectors_NormAtMostBoundAndNearItWhenClipped(PositiveInt length, PositiveInt seed)
    {
        RandomSource random = new((ulong)seed.Get);
        float[] values = new float[1 + (length.Get % 5000)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextGaussian();
        }

        double clip = 0.5 + random.NextDouble() * Math.Sqrt(values.Length);

        double before = L2Clipping.ClipInPlace(values, clip);
        double after = L2Clipping.Norm(values);

        return after <= clip && (before <= clip ? after == before : after >= clip * (1 - 1e-6));
    }
}
