using FsCheck;
using FsCheck.Fluent;

namespace Consortia.Learning.Tests.Metrics;

/// <summary>FsCheck generators for metric inputs, biased towards ties in scores and times.</summary>
public static class MetricArbitraries
{
    /// <summary>Probabilities either on a coarse grid (many ties, exact 0, ½ and 1) or spread finely over [0, 1].</summary>
    private static Gen<float> Probability { get; } = Gen.Frequency(
        (1, Gen.Choose(0, 4).Select(k => k / 4f)),
        (2, Gen.Choose(0, 1_000_000).Select(k => k / 1_000_000f)));

    /// <summary>Risk scores of either sign, from a small grid (ties) or a fine one.</summary>
    private static Gen<float> Risk { get; } = Gen.Frequency(
        (1, Gen.Choose(-3, 3).Select(k => (float)k)),
        (2, Gen.Choose(-100_000, 100_000).Select(k => k / 1_000f)));

    /// <summary>Survival times from a few values (many tied times) or a wider range.</summary>
    private static Gen<float> Time { get; } = Gen.Frequency(
        (1, Gen.Choose(1, 5).Select(k => (float)k)),
        (1, Gen.Choose(0, 10_000).Select(k => k / 10f)));

    private static Gen<float> Label { get; } = Gen.Elements(0f, 1f);

    /// <summary>Between 1 and 80 scored examples (the upper end exercises the vector loops).</summary>
    public static Arbitrary<ScoredSample> ScoredSamples() =>
        Gen.Choose(1, 80)
            .SelectMany(n => Gen.Zip(Probability.ArrayOf(n), Label.ArrayOf(n)))
            .Select(pair => new ScoredSample(pair.Item1, pair.Item2))
            .ToArbitrary();

    /// <summary>Between 1 and 60 subjects with mostly observed events.</summary>
    public static Arbitrary<SurvivalSample> SurvivalSamples() =>
        Gen.Choose(1, 60)
            .SelectMany(n => Gen.Zip(
                Time.ArrayOf(n),
                Gen.Frequency((2, Gen.Constant(1f)), (1, Gen.Constant(0f))).ArrayOf(n),
                (times, events) => (times, events))
                .SelectMany(te => Risk.ArrayOf(n), (te, risks) => new SurvivalSample(te.times, te.events, risks)))
            .ToArbitrary();
}
