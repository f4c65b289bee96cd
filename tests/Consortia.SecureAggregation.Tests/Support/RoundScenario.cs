using System.Globalization;

using Consortia.SecureAggregation.Protocol;

using FsCheck;
using FsCheck.Fluent;

namespace Consortia.SecureAggregation.Tests.Support;

/// <summary>
/// A generated protocol round: n, graph degree, threshold, vector length, seed and which participants drop
/// at each of the four drop points (0 = before advertising, 1 = before sharing, 2 = before masking,
/// 3 = before unmasking).
/// </summary>
public sealed record RoundScenario(int N, int? K, int T, int Dimension, int Seed, IReadOnlyList<(int Participant, int Phase)> Drops)
{
    public int RequiredSurvivors => Math.Max(T, 3);

    public int Holders => K is int k ? k + 1 : N;

    public IReadOnlySet<int> DroppedAt(int phase) => Drops.Where(d => d.Phase == phase).Select(d => d.Participant).ToHashSet();

    /// <summary>The participants whose masked input reaches the server (U3).</summary>
    public IEnumerable<int> Contributors => Enumerable.Range(1, N).Where(p => !Drops.Any(d => d.Participant == p && d.Phase < 3));

    public SecAggSessionOptions Options() => SessionFactory.Create(N, T, Dimension, K);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"n={N} k={K?.ToString(CultureInfo.InvariantCulture) ?? "complete"} t={T} d={Dimension} seed={Seed} drops=[{string.Join(' ', Drops.Select(d => $"{d.Participant}@{d.Phase}"))}]");

    /// <summary>Rounds whose dropouts stay within what the threshold tolerates.</summary>
    public static Gen<RoundScenario> Tolerable() => Generate(aboveThreshold: true);

    /// <summary>Complete-graph rounds with more dropouts than the threshold tolerates.</summary>
    public static Gen<RoundScenario> Excessive() => Generate(aboveThreshold: false);

    /// <summary>
    /// Whether the round must fail on the complete graph: fewer than max(t, 3) masked inputs (drops before
    /// unmasking), or fewer than t participants left to reveal shares.
    /// </summary>
    public bool ExceedsThreshold => Drops.Count(d => d.Phase < 3) > N - RequiredSurvivors || Drops.Count > N - T;

    private static Gen<RoundScenario> Generate(bool aboveThreshold) =>
        (from n in aboveThreshold ? Gen.Choose(3, 40) : Gen.Choose(3, 12)
         from sparse in aboveThreshold && n >= 5 ? Gen.Elements(n > 12, true) : Gen.Constant(false)
         from k in sparse ? Gen.Elements(2, 4, 6).Where(k => k <= n - 2) : Gen.Constant(0)
         let holders = sparse ? k + 1 : n
         from t in Gen.Choose(2, holders)
         let required = Math.Max(t, 3)
         // SecAgg+: at most k + 1 - t drops in all, so every neighbourhood keeps t holders wherever they fall.
         let limit = sparse ? Math.Min(n - required, holders - t) : n - t
         from total in aboveThreshold ? Gen.Choose(0, limit) : Gen.Choose(0, n)
         from dropped in Gen.Shuffle(Enumerable.Range(1, n))
         from phases in Gen.Choose(0, 3).ArrayOf(n)
         from dimension in Gen.Choose(1, 16)
         from seed in Gen.Choose(0, int.MaxValue)
         select new RoundScenario(
             n,
             sparse ? k : null,
             t,
             dimension,
             seed,
             [.. dropped.Take(total).Select((p, i) => (p, phases[i])).OrderBy(d => d.p)]))
        .Where(s => s.K is not null || s.ExceedsThreshold != aboveThreshold);
}
