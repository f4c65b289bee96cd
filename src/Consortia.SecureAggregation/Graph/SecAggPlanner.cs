using System.Diagnostics.CodeAnalysis;

using Consortia.SecureAggregation.Protocol;

namespace Consortia.SecureAggregation.Graph;

/// <summary>
/// Chooses the SecAgg+ graph degree k and the threshold t from n, the corrupt and dropout fractions and the
/// threat model, with the explicit, conservative model of design reference §2.6 (after Bell et al. 2020).
/// </summary>
/// <remarks>
/// <para>With C = ⌈γn⌉ corrupt and D = ⌈δn⌉ dropped participants, a participant's corrupt (dropped) neighbours
/// are hypergeometric Hyp(n − 1, C, k) (Hyp(n − 1, D, k)), since the graph permutation is uniform and
/// independent of who is corrupt or drops. For an even k, t is feasible when</para>
/// <list type="bullet">
/// <item>security: P[corrupt neighbours ≥ t] ≤ 2^−σ_s / n;</item>
/// <item>malicious-server mode: P[corrupt neighbours ≥ 2t − (k + 1)] ≤ 2^−σ_s / n (no double release);</item>
/// <item>correctness: P[dropped neighbours &gt; k − t] ≤ 2^−η / n;</item>
/// <item>connectivity of the honest survivors on the ring: 2·log2(n) + k·log2((C + D)/n) ≤ −σ_s;</item>
/// <item>2 ≤ t ≤ k + 1.</item>
/// </list>
/// <para>The smallest even k with a feasible t is chosen; if none below n − 1 exists, the complete graph
/// (k = n − 1, no connectivity condition). Tail probabilities are computed exactly in log space.</para>
/// </remarks>
public static class SecAggPlanner
{
    /// <summary>Plans k and t.</summary>
    /// <param name="options">The planner inputs.</param>
    /// <param name="plan">The plan, when one exists.</param>
    /// <returns><see langword="false"/> when no threshold satisfies the conditions even on the complete graph.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static bool TryPlan(SecAggPlannerOptions options, [NotNullWhen(true)] out SecAggPlan? plan)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int n = options.Participants;
        int corrupt = CeilingCount(options.CorruptFraction, n);
        int dropped = CeilingCount(options.DropoutFraction, n);
        double securityBound = Math.Pow(2, -options.SecurityBits) / n;
        double correctnessBound = Math.Pow(2, -options.CorrectnessBits) / n;
        double ringFailure = (double)(corrupt + dropped) / n;

        for (int k = 2; k < n - 1; k += 2)
        {
            bool connected = ringFailure == 0
                || (ringFailure < 1 && (2 * Math.Log2(n)) + (k * Math.Log2(ringFailure)) <= -options.SecurityBits);
            if (connected && TryThresholds(n, k, corrupt, dropped, options.Mode, securityBound, correctnessBound, out int low, out int high))
            {
                plan = Create(n, k, low, high, complete: false, options.Mode);
                return true;
            }
        }

        if (TryThresholds(n, n - 1, corrupt, dropped, options.Mode, securityBound, correctnessBound, out int min, out int max))
        {
            plan = Create(n, n - 1, min, max, complete: true, options.Mode);
            return true;
        }

        plan = null;
        return false;
    }

    /// <summary>Plans k and t.</summary>
    /// <param name="options">The planner inputs.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or no threshold satisfies the conditions.</exception>
    public static SecAggPlan Plan(SecAggPlannerOptions options)
    {
        if (!TryPlan(options, out SecAggPlan? plan))
        {
            throw new ArgumentException(
                $"No threshold satisfies the security and correctness conditions for n = {options.Participants}, corrupt fraction {options.CorruptFraction}, dropout fraction {options.DropoutFraction} ({options.Mode}).",
                nameof(options));
        }

        return plan;
    }

    /// <summary>P[X ≥ threshold] for X ~ Hyp(population, successes, draws).</summary>
    internal static double UpperTail(int population, int successes, int draws, int threshold)
    {
        double[] tails = UpperTails(population, successes, draws);
        return threshold <= 0 ? 1.0 : threshold > draws ? 0.0 : tails[threshold];
    }

    /// <summary>tails[x] = P[X ≥ x] for x = 0..draws + 1, X ~ Hyp(population, successes, draws), from exact log-space terms.</summary>
    private static double[] UpperTails(int population, int successes, int draws)
    {
        int low = Math.Max(0, draws - (population - successes));
        int high = Math.Min(successes, draws);
        double logTotal = LogChoose(population, draws);
        double[] tails = new double[draws + 2];
        if (low <= high)
        {
            // ln C(K, x) + ln C(N − K, k − x), updated term by term from x = low.
            double logTerm = LogChoose(successes, low) + LogChoose(population - successes, draws - low);
            double[] pmf = new double[draws + 1];
            for (int x = low; x <= high; x++)
            {
                pmf[x] = Math.Exp(logTerm - logTotal);
                logTerm += Math.Log(successes - x) - Math.Log(x + 1) + Math.Log(draws - x) - Math.Log(population - successes - draws + x + 1);
            }

            for (int x = draws; x >= 0; x--)
            {
                tails[x] = Math.Min(1.0, tails[x + 1] + pmf[x]);
            }
        }

        return tails;
    }

    private static bool TryThresholds(int n, int k, int corrupt, int dropped, SecAggSecurityMode mode, double securityBound, double correctnessBound, out int low, out int high)
    {
        double[] corruptTails = UpperTails(n - 1, corrupt, k);
        double[] droppedTails = UpperTails(n - 1, dropped, k);
        double Tail(double[] tails, int threshold) => threshold <= 0 ? 1.0 : threshold > k ? 0.0 : tails[threshold];

        low = -1;
        high = -1;
        for (int t = 2; t <= k + 1; t++)
        {
            bool secure = Tail(corruptTails, t) <= securityBound
                && (mode != SecAggSecurityMode.MaliciousServer || Tail(corruptTails, (2 * t) - (k + 1)) <= securityBound);
            bool correct = Tail(droppedTails, k - t + 1) <= correctnessBound;
            if (secure && correct)
            {
                if (low < 0)
                {
                    low = t;
                }

                high = t;
            }
        }

        return low >= 0;
    }

    private static SecAggPlan Create(int n, int k, int low, int high, bool complete, SecAggSecurityMode mode)
    {
        int threshold = mode == SecAggSecurityMode.MaliciousServer ? high : (low + high + 1) / 2;
        return new SecAggPlan(n, k, low, high, complete, threshold);
    }

    private static int CeilingCount(double fraction, int n) => (int)Math.Ceiling((fraction * n) - 1e-9);

    private static double LogChoose(int n, int k)
    {
        if (k < 0 || k > n)
        {
            return double.NegativeInfinity;
        }

        k = Math.Min(k, n - k);
        double result = 0;
        for (int i = 1; i <= k; i++)
        {
            result += Math.Log(n - k + i) - Math.Log(i);
        }

        return result;
    }
}
