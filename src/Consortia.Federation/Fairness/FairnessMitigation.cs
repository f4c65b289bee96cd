using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Learning;

namespace Consortia.Federation.Fairness;

/// <summary>Applies the job's site-side fairness mitigation (<c>fairness.reweighting</c>) to the sites' data before training.</summary>
public static class FairnessMitigation
{
    /// <summary>The sites' data, resampled by <see cref="GroupReweighting"/> when the job asks for it; unchanged otherwise.</summary>
    /// <param name="job">The job.</param>
    /// <param name="data">The sites' data.</param>
    /// <returns>The data to train on.</returns>
    /// <remarks>
    /// The (group, label) counts are summed through a secure-aggregation round when the job uses secure aggregation
    /// (and has at least three sites); otherwise each site's counts reach the coordinator as they are.
    /// </remarks>
    public static FederatedDataset Prepare(JobDefinition job, FederatedDataset data)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        if (job.Fairness is not { Reweighting: { } name } fairness)
        {
            return data;
        }

        SensitiveVariable attribute = fairness.Groups.Single(g => g.Name == name);
        long[][] counts = [.. data.Sites.Select(s => GroupReweighting.CellCounts(attribute, s))];
        long[] total = job.Engine.SecureAggregation is { } secure && data.Sites.Count >= 3
            ? SecureCountSum.Sum(secure, job.Name + "/fairness-reweighting", [.. data.Sites.Select(s => s.Name)], counts, job.Seed)
            : [.. Enumerable.Range(0, counts[0].Length).Select(i => counts.Sum(c => c[i]))];
        double[] weights = GroupReweighting.Weights(total);
        RandomSource random = new RandomSource(job.Seed).Derive("fairness-reweighting");
        return data with { Sites = [.. data.Sites.Select(s => GroupReweighting.Resample(attribute, s, weights, random.Derive(s.Name)))] };
    }
}
