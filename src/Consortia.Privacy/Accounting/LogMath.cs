namespace Consortia.Privacy.Accounting;

/// <summary>Accurate elementary functions for log-space arithmetic: log1p, expm1, log-add, log-sub and ln erfc.</summary>
/// <remarks>
/// .NET's <c>double.LogP1</c> and <c>double.ExpM1</c> are evaluated as <c>Log(x + 1)</c> and <c>Exp(x) − 1</c>,
/// which lose every significant digit for small arguments; the accountant needs them to full precision because
/// Rényi divergences at orders close to 1 are differences of numbers close to 1.
/// </remarks>
internal static class LogMath
{
    private const double Ln2 = 0.69314718055994530942;
    private const double TwoOverSqrtPi = 1.12837916709551257390;
    private const double InvSqrtPi = 0.56418958354775628695;
    private const double HalfLnPi = 0.57236494292470008707;

    // Below this argument erfc is 1 − erf with erf from its Maclaurin series; up to SeriesLimit from the
    // all-positive series; above it from the Legendre continued fraction for Γ(1/2, x²) (≤ 60 iterations).
    private const double MaclaurinLimit = 0.5;
    private const double SeriesLimit = 1.5;
    private const double AsymptoticLimit = 1e8;
    private const int MaxContinuedFractionIterations = 500;

    /// <summary>ln(1 + x), accurate for small |x| (Kahan's compensated form).</summary>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0)
        {
            return x;
        }

        if (double.IsPositiveInfinity(u))
        {
            return u;
        }

        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>e^x − 1, accurate for small |x| (Kahan's compensated form).</summary>
    public static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0)
        {
            return x;
        }

        double um1 = u - 1.0;
        if (um1 == -1.0)
        {
            return -1.0;
        }

        if (double.IsPositiveInfinity(u))
        {
            return u;
        }

        return um1 * x / Math.Log(u);
    }

    /// <summary>ln(e^a + e^b) without overflow; −∞ stands for zero.</summary>
    public static double LogAdd(double a, double b)
    {
        if (a < b)
        {
            (a, b) = (b, a);
        }

        if (double.IsNegativeInfinity(b))
        {
            return a;
        }

        if (double.IsPositiveInfinity(a))
        {
            return a;
        }

        return a + Log1P(Math.Exp(b - a));
    }

    /// <summary>ln(e^a − e^b) for a ≥ b; −∞ when they are equal.</summary>
    public static double LogSub(double a, double b)
    {
        if (double.IsNegativeInfinity(b))
        {
            return a;
        }

        if (a == b)
        {
            return double.NegativeInfinity;
        }

        return a + Math.Log(-ExpM1(b - a));
    }

    /// <summary>ln erfc(x) for every real x, with a relative error of a few 10⁻¹⁴ (absolute near x = 0).</summary>
    /// <remarks>
    /// For large positive x, erfc underflows (erfc(27) &lt; 10⁻³¹⁸), so the value is assembled as
    /// ln(erfcx(x)) − x² with the scaled function erfcx(x) = e^{x²}·erfc(x) from a continued fraction.
    /// </remarks>
    public static double LogErfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x < 0.0)
        {
            // erfc(x) = 2 − erfc(−x), and erfc(−x) ∈ (0, 1].
            return Ln2 + Log1P(-0.5 * ErfcNonNegative(-x));
        }

        if (x < MaclaurinLimit)
        {
            return Log1P(-ErfMaclaurin(x));
        }

        if (x < SeriesLimit)
        {
            return Log1P(-ErfPositiveSeries(x));
        }

        if (x > AsymptoticLimit)
        {
            // erfcx(x) = 1/(x√π) · (1 − 1/(2x²) + …); the correction is below 10⁻¹⁶ here.
            return -(x * x) - Math.Log(x) - HalfLnPi;
        }

        return Math.Log(ErfcxContinuedFraction(x)) - (x * x);
    }

    /// <summary>erfc(x) for x ≥ 0, to a relative error of a few 10⁻¹⁴ until it underflows.</summary>
    public static double ErfcNonNegative(double x)
    {
        if (x < MaclaurinLimit)
        {
            return 1.0 - ErfMaclaurin(x);
        }

        if (x < SeriesLimit)
        {
            return 1.0 - ErfPositiveSeries(x);
        }

        if (x > AsymptoticLimit)
        {
            return 0.0;
        }

        return Math.Exp(-(x * x)) * ErfcxContinuedFraction(x);
    }

    // erf(x) = 2/√π · Σ (−1)ⁿ x^{2n+1} / (n! (2n+1)); for |x| < 0.5 the terms fall by at least 4 per step.
    private static double ErfMaclaurin(double x)
    {
        double x2 = x * x;
        double power = x;
        double sum = x;
        for (int n = 1; n < 60; n++)
        {
            power *= -x2 / n;
            double term = power / ((2 * n) + 1);
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum))
            {
                break;
            }
        }

        return TwoOverSqrtPi * sum;
    }

    // erf(x) = 2/√π · e^{−x²} · Σ (2x²)ⁿ x / (1·3·…·(2n+1)): all terms positive, so no cancellation.
    private static double ErfPositiveSeries(double x)
    {
        double x2 = x * x;
        double term = x;
        double sum = x;
        for (int n = 0; n < 200; n++)
        {
            term *= 2.0 * x2 / ((2 * n) + 3);
            sum += term;
            if (term <= 1e-17 * sum)
            {
                break;
            }
        }

        return TwoOverSqrtPi * Math.Exp(-x2) * sum;
    }

    // erfcx(x) = x/√π · F, where F is Legendre's continued fraction for e^{z} z^{−a} Γ(a, z) with a = ½, z = x²,
    // evaluated with the modified Lentz algorithm.
    private static double ErfcxContinuedFraction(double x)
    {
        const double Tiny = 1e-300;
        const double A = 0.5;
        double z = x * x;
        double b = z + 1.0 - A;
        double c = 1.0 / Tiny;
        double d = 1.0 / b;
        double h = d;
        for (int i = 1; i <= MaxContinuedFractionIterations; i++)
        {
            double an = -i * (i - A);
            b += 2.0;
            d = (an * d) + b;
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = b + (an / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1.0 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16)
            {
                break;
            }
        }

        return x * h * InvSqrtPi;
    }
}
