using System.Globalization;
using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Simulation;

namespace Consortia.Federation.SecureAggregation;

/// <summary>
/// Sums non-negative integer count vectors of simulated sites with a complete secure-aggregation round (SecAgg+ key
/// agreement, masking, unmasking): the caller gets the sum and nothing else, as a coordinator would. Counts are
/// summed mod 2^32 without any fixed-point encoding, so the sum is exact while it stays below 2^32.
/// </summary>
public static class SecureCountSum
{
    /// <summary>Runs one secure-aggregation round over the sites' counts.</summary>
    /// <param name="settings">The job's secure-aggregation settings (threshold, neighbours).</param>
    /// <param name="jobId">The session's job identifier (binds the masks to this use).</param>
    /// <param name="sites">The site names, one per input.</param>
    /// <param name="inputs">Each site's counts, all the same length.</param>
    /// <param name="seed">Seeds the simulated participants' key generation (reproducible runs).</param>
    /// <param name="observe">Called with each site's masked-protocol input exactly as it is handed to the protocol (tests inspect it).</param>
    /// <returns>The element-wise sum.</returns>
    /// <exception cref="ArgumentException">Inputs differ in length, a count is negative or does not fit 32 bits, or fewer than three sites take part.</exception>
    /// <exception cref="InvalidOperationException">The round failed (the failure is named).</exception>
    public static long[] Sum(
        SecureAggregationSettings settings, string jobId, IReadOnlyList<string> sites, IReadOnlyList<IReadOnlyList<long>> inputs, ulong seed,
        Action<string, ReadOnlyMemory<uint>>? observe = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(inputs);
        if (sites.Count != inputs.Count || inputs.Count < 3)
        {
            throw new ArgumentException($"Secure aggregation needs one input per site and at least three sites (the smallest aggregate it reveals); got {inputs.Count} inputs for {sites.Count} sites.", nameof(inputs));
        }

        int length = inputs[0].Count;
        uint[][] encoded = new uint[inputs.Count][];
        for (int s = 0; s < inputs.Count; s++)
        {
            if (inputs[s].Count != length)
            {
                throw new ArgumentException($"Site '{sites[s]}' sent {inputs[s].Count} counts; expected {length}.", nameof(inputs));
            }

            encoded[s] = Encode(sites[s], inputs[s]);
            observe?.Invoke(sites[s], encoded[s]);
        }

        // The protocol numbers its participants in ordinal name order (roster order need not be sorted, e.g. TCGA-BRCA's
        // regions); the sum does not depend on the order, so inputs are handed over in that order.
        int[] order = [.. Enumerable.Range(0, sites.Count).OrderBy(s => sites[s], StringComparer.Ordinal)];
        SecAggSessionOptions session = new()
        {
            JobId = jobId,
            RoundNumber = 1,
            Participants = [.. order.Select(s => sites[s])],
            VectorLength = length,
            Threshold = settings.SessionThreshold(sites.Count, 3),
            Neighbours = settings.Neighbours,
        };
        SecAggSimulationResult round = SecAggRoundSimulator.Run(new SecAggSimulationOptions { Session = session, Seed = seed }, [.. order.Select(s => (ReadOnlyMemory<uint>)encoded[s])]);
        if (round.Outcome is not SecureAggregationOutcome.Succeeded succeeded)
        {
            throw new InvalidOperationException($"The secure-aggregation round over the counts failed: {round.Outcome}.");
        }

        return [.. succeeded.Result.Sum.Select(v => (long)v)];
    }

    /// <summary>A site's counts as ring elements: each must be in [0, 2^32), so that the sum mod 2^32 is exact.</summary>
    /// <param name="site">The site (named in the error).</param>
    /// <param name="counts">Its counts.</param>
    /// <returns>The encoding.</returns>
    /// <exception cref="ArgumentException">A count is negative or does not fit 32 bits.</exception>
    internal static uint[] Encode(string site, IReadOnlyList<long> counts)
    {
        uint[] encoded = new uint[counts.Count];
        for (int i = 0; i < encoded.Length; i++)
        {
            long value = counts[i];
            encoded[i] = value is >= 0 and <= uint.MaxValue
                ? (uint)value
                : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Site '{site}', count {i}: {value} is not in [0, 2^32)."), nameof(counts));
        }

        return encoded;
    }
}
