using System.Globalization;
using Consortia.Data.Preprocessing;
using Consortia.Learning;

namespace Consortia.Data.Partitioning;

/// <summary>Builds a simulated federation from one dataset: partition the rows into sites, then split and standardise each site.</summary>
public static class SimulatedFederation
{
    /// <summary>Partitions <paramref name="data"/> into sites named <c>site-0</c>, <c>site-1</c>, … and prepares each like a real site.</summary>
    /// <param name="name">The dataset name.</param>
    /// <param name="task">The task; <see cref="LearningTask.Survival"/> needs <see cref="Dataset.HasTimes"/>.</param>
    /// <param name="data">The unscaled rows to share out.</param>
    /// <param name="partitioner">How rows are assigned to sites.</param>
    /// <param name="siteCount">The number of sites.</param>
    /// <param name="random">The source of the partition (<c>Derive("partition")</c>) and of each site's split (<c>Derive("split").Derive(site)</c>).</param>
    /// <param name="testFraction">The fraction of each site's rows held out for testing, stratified on the label.</param>
    /// <param name="standardization">How to standardise.</param>
    /// <returns>The sites and the pooled data.</returns>
    /// <exception cref="ArgumentException">A site would get too few rows to split (at least 3; 2 without standardisation), or the task does not match the data.</exception>
    public static FederatedDataset Create(
        string name,
        LearningTask task,
        Dataset data,
        IPartitioner partitioner,
        int siteCount,
        RandomSource random,
        double testFraction = 0.25,
        Standardization standardization = Standardization.PerSite)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(partitioner);
        ArgumentNullException.ThrowIfNull(random);
        if (double.IsNaN(testFraction) || testFraction <= 0 || testFraction >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "Expected a fraction strictly between 0 and 1.");
        }

        if ((task == LearningTask.Survival) != data.HasTimes)
        {
            throw new ArgumentException($"A {task} task {(data.HasTimes ? "does not take" : "needs")} survival times.", nameof(task));
        }

        IReadOnlyList<int[]> parts = partitioner.Partition(data, siteCount, random.Derive("partition"));
        RandomSource splitRandom = random.Derive("split");
        int minimum = standardization == Standardization.None ? 2 : 3;
        var sites = new List<RawSite>(parts.Count);
        for (int s = 0; s < parts.Count; s++)
        {
            int[] rows = parts[s];
            if (rows.Length < minimum)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Site {s} got {rows.Length} rows; each site needs at least {minimum} to be split into training and test rows."), nameof(partitioner));
            }

            Dataset site = data.Select(rows);
            double[] labels = ToDouble(site.Labels);
            (int[] train, int[] test) = StratifiedSplitter.Split(labels, testFraction, splitRandom.Derive((ulong)s));
            if (train.Length < minimum - 1)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Site {s} keeps {train.Length} training rows; lower the test fraction."), nameof(testFraction));
            }

            sites.Add(new RawSite(
                string.Create(CultureInfo.InvariantCulture, $"site-{s}"),
                new FeatureMatrix(site.FeatureNames, ToDouble(site.Features)),
                labels,
                site.HasTimes ? ToDouble(site.Times) : null,
                train,
                test));
        }

        return FederationAssembler.Assemble(name, task, sites, standardization);
    }

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        double[] result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
