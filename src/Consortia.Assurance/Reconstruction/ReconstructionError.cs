using Consortia.Learning;

namespace Consortia.Assurance.Reconstruction;

/// <summary>How far a reconstruction lands from the true records.</summary>
public static class ReconstructionError
{
    /// <summary>
    /// The error of each true record against the guessed record assigned to it, under the assignment (over all
    /// permutations) that minimises the summed error: a batch gradient does not say which guess is which record.
    /// </summary>
    /// <param name="guesses">The recovered records.</param>
    /// <param name="truth">The true records, as many as guesses (at most 8: the assignment is exhaustive).</param>
    /// <returns>Per true record (in <paramref name="truth"/>'s order), the max absolute feature error of its guess.</returns>
    /// <exception cref="ArgumentException">The counts differ, exceed 8, or the widths differ.</exception>
    public static double[] PerRecord(IReadOnlyList<double[]> guesses, Dataset truth)
    {
        ArgumentNullException.ThrowIfNull(guesses);
        ArgumentNullException.ThrowIfNull(truth);
        int n = truth.Count;
        if (guesses.Count != n || n is < 1 or > 8)
        {
            throw new ArgumentException($"Expected as many guesses as records (1 to 8), got {guesses.Count} guesses for {n} records.", nameof(guesses));
        }

        double[,] cost = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                cost[i, j] = LogisticUpdateInversion.MaxAbsError(guesses[j], truth.Row(i));
            }
        }

        int[] permutation = [.. Enumerable.Range(0, n)];
        int[] best = (int[])permutation.Clone();
        double bestTotal = double.PositiveInfinity;
        do
        {
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                total += cost[i, permutation[i]];
            }

            if (total < bestTotal)
            {
                bestTotal = total;
                permutation.CopyTo(best, 0);
            }
        }
        while (NextPermutation(permutation));

        double[] errors = new double[n];
        for (int i = 0; i < n; i++)
        {
            errors[i] = cost[i, best[i]];
        }

        return errors;
    }

    /// <summary>For each guess, the max absolute error to the nearest record of <paramref name="candidates"/> (any site's).</summary>
    /// <param name="guesses">The recovered records.</param>
    /// <param name="candidates">Every record the guess might be.</param>
    /// <returns>One error per guess.</returns>
    public static double[] ToNearest(IReadOnlyList<double[]> guesses, Dataset candidates)
    {
        ArgumentNullException.ThrowIfNull(guesses);
        ArgumentNullException.ThrowIfNull(candidates);
        double[] errors = new double[guesses.Count];
        for (int g = 0; g < guesses.Count; g++)
        {
            double nearest = double.PositiveInfinity;
            for (int row = 0; row < candidates.Count; row++)
            {
                nearest = Math.Min(nearest, LogisticUpdateInversion.MaxAbsError(guesses[g], candidates.Row(row)));
            }

            errors[g] = nearest;
        }

        return errors;
    }

    /// <summary>Lexicographic next permutation; false after the last.</summary>
    private static bool NextPermutation(int[] p)
    {
        int i = p.Length - 2;
        while (i >= 0 && p[i] >= p[i + 1])
        {
            i--;
        }

        if (i < 0)
        {
            return false;
        }

        int j = p.Length - 1;
        while (p[j] <= p[i])
        {
            j--;
        }

        (p[i], p[j]) = (p[j], p[i]);
        Array.Reverse(p, i + 1, p.Length - i - 1);
        return true;
    }
}
