using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Learning;

namespace Consortia.Federation.Strategies;

/// <summary>Helpers shared by strategies: seeded site sampling and canonical summation.</summary>
public static class SiteSampling
{
    /// <summary>Samples ⌈fraction·n⌉ sites (at least one) without replacement, returned in roster order.</summary>
    /// <param name="roster">The available sites in canonical order.</param>
    /// <param name="fraction">The fraction to sample, in (0, 1].</param>
    /// <param name="random">The round's random source.</param>
    /// <returns>The sampled sites.</returns>
    public static IReadOnlyList<SiteId> Sample(IReadOnlyList<SiteId> roster, double fraction, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(roster);
        ArgumentNullException.ThrowIfNull(random);
        if (fraction >= 1.0 || roster.Count <= 1)
        {
            return roster;
        }

        int count = Math.Max(1, (int)Math.Ceiling(fraction * roster.Count));
        int[] indices = [.. Enumerable.Range(0, roster.Count)];
        random.Derive("sample").Shuffle(indices.AsSpan());
        Array.Sort(indices, 0, count);
        return [.. indices.Take(count).Select(i => roster[i])];
    }

    /// <summary>Sums weighted updates in the given (canonical) order.</summary>
    /// <param name="layout">The parameter layout.</param>
    /// <param name="updates">The updates.</param>
    /// <returns>Their sum, total weight and count.</returns>
    public static SummedUpdates Sum(ParameterLayout layout, IReadOnlyList<SiteUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        ParameterVector sum = new(layout);
        ParameterVector? controlSum = updates.Any(u => u.ControlVariateDelta is not null) ? new(layout) : null;
        double weight = 0;
        double? bits = updates.Any(u => u.UnclippedBit is not null) ? 0.0 : null;
        foreach (SiteUpdate update in updates)
        {
            TensorPrimitives.Add(sum.Values, update.WeightedDelta.Values, sum.Values);
            if (controlSum is not null && update.ControlVariateDelta is { } dc)
            {
                TensorPrimitives.Add(controlSum.Values, dc.Values, controlSum.Values);
            }

            weight += update.Weight;
            bits += update.UnclippedBit ?? 0.0;
        }

        return new SummedUpdates(sum, weight, updates.Count, controlSum) { UnclippedBitSum = bits };
    }
}
