namespace Consortia.Privacy.Tests.Distributed;

/// <summary>Pearson's chi-square against an exact pmf, with the bins whose expected count is below 5 pooled into their neighbours.</summary>
internal static class GoodnessOfFit
{
    /// <summary>The upper 1 − 10⁻⁶ standard normal quantile, for a test that a seeded run fails only if the sampler is wrong.</summary>
    private const double Z = 4.753;

    /// <summary>Whether the counts fit the pmf at p = 10⁻⁶.</summary>
    /// <param name="counts">Observed counts by outcome.</param>
    /// <param name="pmf">The exact probability of an outcome.</param>
    /// <param name="low">The smallest outcome binned on its own (smaller ones join the first bin).</param>
    /// <param name="high">The largest outcome binned on its own (larger ones join the last bin).</param>
    /// <returns>The statistic, its critical value and the degrees of freedom.</returns>
    public static (double Statistic, double Critical, int Degrees) ChiSquare(IReadOnlyDictionary<long, long> counts, Func<long, double> pmf, long low, long high)
    {
        long total = counts.Values.Sum();
        List<(double Observed, double Expected)> bins = [];
        double observed = counts.Where(c => c.Key < low).Sum(c => c.Value);
        double expected = 0;
        for (long k = low; k <= high; k++)
        {
            observed += counts.GetValueOrDefault(k);
            expected += total * pmf(k);
            if (expected >= 5)
            {
                bins.Add((observed, expected));
                observed = 0;
                expected = 0;
            }
        }

        observed += counts.Where(c => c.Key > high).Sum(c => c.Value);
        double inBins = bins.Sum(b => b.Expected);
        expected = total - inBins; // everything outside the binned range, including both tails
        if (bins.Count > 0)
        {
            // Pool the remainder (expected mass of both tails, and any short last bin) into the last bin.
            (double o, double e) = bins[^1];
            bins[^1] = (o + observed, e + expected);
        }

        double statistic = bins.Sum(b => (b.Observed - b.Expected) * (b.Observed - b.Expected) / b.Expected);
        int degrees = bins.Count - 1;
        double h = 2.0 / (9 * degrees);
        double critical = degrees * Math.Pow(1 - h + (Z * Math.Sqrt(h)), 3); // Wilson–Hilferty
        return (statistic, critical, degrees);
    }

    /// <summary>The Poisson pmf for k = 0..max by the recurrence p(k+1) = p(k)·λ/(k+1).</summary>
    public static double[] PoissonPmf(double lambda, int max)
    {
        double[] p = new double[max + 1];
        p[0] = Math.Exp(-lambda);
        for (int k = 1; k <= max; k++)
        {
            p[k] = p[k - 1] * lambda / k;
        }

        return p;
    }
}
