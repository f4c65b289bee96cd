namespace Consortia.Assurance.Fairness;

/// <summary>An estimate with its 95 % confidence interval; all three are NaN when the estimate is undefined.</summary>
/// <param name="Value">The estimate.</param>
/// <param name="Lower">The interval's lower end.</param>
/// <param name="Upper">The interval's upper end.</param>
public readonly record struct Interval(double Value, double Lower, double Upper)
{
    /// <summary>The standard normal quantile of a two-sided 95 % interval.</summary>
    internal const double Z95 = 1.959963984540054;

    /// <summary>An undefined estimate (e.g. a true-positive rate without positives).</summary>
    public static Interval Undefined => new(double.NaN, double.NaN, double.NaN);

    /// <summary>The proportion successes/trials with its Wilson score interval (Wilson 1927).</summary>
    /// <param name="successes">The successes.</param>
    /// <param name="trials">The trials; 0 gives <see cref="Undefined"/>.</param>
    /// <returns>The proportion and interval.</returns>
    public static Interval Wilson(long successes, long trials)
    {
        if (trials <= 0)
        {
            return Undefined;
        }

        double n = trials, p = successes / n, z2 = Z95 * Z95;
        double centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
        double half = Z95 * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n))) / (1 + (z2 / n));
        return new Interval(p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// The difference <paramref name="a"/> − <paramref name="b"/> of two independent proportions with Newcombe's hybrid
    /// score interval (Newcombe 1998, method 10), built from the two Wilson intervals.
    /// </summary>
    /// <param name="a">The first proportion with its Wilson interval.</param>
    /// <param name="b">The second.</param>
    /// <returns>The difference and its interval.</returns>
    public static Interval NewcombeDifference(Interval a, Interval b)
    {
        if (double.IsNaN(a.Value) || double.IsNaN(b.Value))
        {
            return Undefined;
        }

        double d = a.Value - b.Value;
        double lower = d - Math.Sqrt(Square(a.Value - a.Lower) + Square(b.Upper - b.Value));
        double upper = d + Math.Sqrt(Square(a.Upper - a.Value) + Square(b.Value - b.Lower));
        return new Interval(d, lower, upper);
    }

    /// <summary>
    /// The difference of two independent normal-approximated estimates: d ± z·√(se_a² + se_b²), each se the estimate's own
    /// standard error when it carries one (a rank statistic's interval, clipped to [0, 1]), else its half-width / z.
    /// </summary>
    /// <param name="a">The first estimate with a symmetric (Wald) interval.</param>
    /// <param name="b">The second.</param>
    /// <returns>The difference and its interval.</returns>
    public static Interval WaldDifference(Interval a, Interval b)
    {
        if (double.IsNaN(a.Value) || double.IsNaN(b.Value))
        {
            return Undefined;
        }

        double se = Math.Sqrt(Square(a.ErrorOfMean) + Square(b.ErrorOfMean));
        double d = a.Value - b.Value;
        return new Interval(d, d - (Z95 * se), d + (Z95 * se));
    }

    /// <summary>
    /// A rank statistic (ROC-AUC, or a C-index read as an AUC of events against their comparable partners) with the
    /// Hanley &amp; McNeil (1982) standard error, exponential approximation of the two variance terms.
    /// </summary>
    /// <param name="a">The statistic, in [0, 1].</param>
    /// <param name="positives">The number of positives (events).</param>
    /// <param name="negatives">The number of negatives (for a C-index: the mean number of comparable partners per event).</param>
    /// <returns>The statistic with its Wald interval.</returns>
    internal static Interval HanleyMcNeil(double a, double positives, double negatives)
    {
        double q1 = a / (2 - a), q2 = 2 * a * a / (1 + a);
        double variance = ((a * (1 - a)) + ((positives - 1) * (q1 - (a * a))) + ((negatives - 1) * (q2 - (a * a)))) / (positives * negatives);
        double se = Math.Sqrt(Math.Max(variance, 0));
        // A rank statistic lies in [0, 1], so its interval does too (an AUC of 0.97 over 12 records is not "up to 1.05");
        // the unclipped standard error is kept for the difference of two such statistics.
        return new Interval(a, Math.Max(0, a - (Z95 * se)), Math.Min(1, a + (Z95 * se))) { StandardError = se };
    }

    /// <summary>The standard error a Wald interval was built from, when clipping made the bounds no longer show it; 0 otherwise.</summary>
    internal double StandardError { get; init; }

    /// <summary>The estimate's standard error: <see cref="StandardError"/> when set, else the interval's half-width / z.</summary>
    private double ErrorOfMean => StandardError > 0 ? StandardError : (Upper - Lower) / (2 * Z95);

    private static double Square(double x) => x * x;
}
