namespace Consortia.Privacy.Accounting;

/// <summary>Rényi differential privacy of one step of the Poisson-subsampled Gaussian mechanism.</summary>
/// <remarks>
/// <para>
/// Implements the exact analysis of I. Mironov, K. Talwar and L. Zhang, "Rényi Differential Privacy of the
/// Sampled Gaussian Mechanism" (arXiv 1908.10530, 2019), for the add/remove-one relation with Poisson sampling
/// at rate q and noise standard deviation σ times the L2 sensitivity: ε(α) = ln(A_α)/(α − 1) with A_α the α-th
/// moment of the likelihood ratio between (1 − q)·N(0, σ²) + q·N(1, σ²) and N(0, σ²).
/// </para>
/// <para>
/// Integer orders use the finite binomial expansion of A_α; fractional orders use the convergent two-sided
/// generalised binomial series split at z₀ = σ² ln(1/q − 1) + ½, keeping the alternating signs of the
/// coefficients (the signed series is exact; summing absolute values is only an upper bound). Every sum is
/// accumulated in log space. The fractional series stops once k &gt; α + 1 and both term magnitudes are
/// decreasing and below e^−30 (ln A_α ≥ 0, so this is a relative criterion); if it has not stopped after
/// <see cref="MaxSeriesTerms"/> terms the order is reported as +∞ so that it drops out of any minimum.
/// This is the computation of Opacus' <c>compute_rdp</c>, which the test vectors reproduce to 10⁻⁸.
/// </para>
/// <para>The functions are pure and thread-safe.</para>
/// </remarks>
public static class SampledGaussianRdp
{
    /// <summary>The cap on the number of terms of the fractional-order series.</summary>
    public const int MaxSeriesTerms = 100_000;

    private const double StopLogTerm = -30.0;
    private static readonly double s_logHalf = Math.Log(0.5);

    /// <summary>Computes the RDP ε(α) of one step of the sampled Gaussian mechanism.</summary>
    /// <param name="sampleRate">The Poisson sampling rate q, in [0, 1].</param>
    /// <param name="noiseMultiplier">The noise multiplier σ (noise standard deviation over L2 sensitivity), ≥ 0.</param>
    /// <param name="order">The Rényi order α &gt; 1 (may be +∞).</param>
    /// <returns>ε(α) ≥ 0; 0 when q = 0, +∞ when σ = 0 or α = +∞, α/(2σ²) when q = 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its domain or NaN.</exception>
    public static double Compute(double sampleRate, double noiseMultiplier, double order)
    {
        Validate(sampleRate, noiseMultiplier);
        ValidateOrder(order);
        return ComputeUnchecked(sampleRate, noiseMultiplier, order);
    }

    /// <summary>Computes the single-step RDP at every order of <paramref name="orders"/>.</summary>
    /// <param name="sampleRate">The Poisson sampling rate q, in [0, 1].</param>
    /// <param name="noiseMultiplier">The noise multiplier σ, ≥ 0.</param>
    /// <param name="orders">The Rényi orders, each &gt; 1.</param>
    /// <param name="destination">Receives ε(α) per order; at least as long as <paramref name="orders"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its domain.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static void Compute(double sampleRate, double noiseMultiplier, ReadOnlySpan<double> orders, Span<double> destination)
    {
        Validate(sampleRate, noiseMultiplier);
        if (destination.Length < orders.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values but {orders.Length} orders were given.", nameof(destination));
        }

        foreach (double order in orders)
        {
            ValidateOrder(order);
        }

        for (int i = 0; i < orders.Length; i++)
        {
            destination[i] = ComputeUnchecked(sampleRate, noiseMultiplier, orders[i]);
        }
    }

    internal static double ComputeUnchecked(double q, double sigma, double alpha)
    {
        if (q == 0.0)
        {
            return 0.0;
        }

        if (sigma == 0.0 || double.IsPositiveInfinity(alpha))
        {
            return double.PositiveInfinity;
        }

        if (q == 1.0)
        {
            return alpha / (2.0 * sigma * sigma);
        }

        double logA = double.IsInteger(alpha) ? LogAInteger(q, sigma, alpha) : LogAFractional(q, sigma, alpha);
        return logA / (alpha - 1.0);
    }

    // A_α = Σ_{k=0}^{α} C(α,k) (1−q)^{α−k} q^k exp(k(k−1)/(2σ²)), all terms positive.
    private static double LogAInteger(double q, double sigma, double alpha)
    {
        long a = (long)alpha;
        double logQ = Math.Log(q);
        double log1mQ = LogMath.Log1P(-q);
        double twoSigma2 = 2.0 * sigma * sigma;
        double logA = double.NegativeInfinity;
        double logCoefficient = 0.0;
        for (long k = 0; k <= a; k++)
        {
            double term = logCoefficient + (k * logQ) + ((a - k) * log1mQ) + (((double)k * k) - k) / twoSigma2;
            logA = LogMath.LogAdd(logA, term);
            if (k < a)
            {
                // C(α, k+1) = C(α, k)·(α − k)/(k + 1).
                logCoefficient += Math.Log((double)(a - k) / (k + 1));
            }
        }

        return logA;
    }

    private static double LogAFractional(double q, double sigma, double alpha)
    {
        SignedLogSum lower = new();
        SignedLogSum upper = new();
        double sigma2 = sigma * sigma;
        double z0 = (sigma2 * Math.Log((1.0 / q) - 1.0)) + 0.5;
        double sqrt2Sigma = Math.Sqrt(2.0) * sigma;
        double logQ = Math.Log(q);
        double log1mQ = LogMath.Log1P(-q);
        double logCoefficient = 0.0;
        int coefficientSign = 1;
        double previousLower = double.PositiveInfinity;
        double previousUpper = double.PositiveInfinity;
        for (int k = 0; k < MaxSeriesTerms; k++)
        {
            double j = alpha - k;
            double logLower = logCoefficient + (k * logQ) + (j * log1mQ)
                + ((((double)k * k) - k) / (2.0 * sigma2))
                + s_logHalf + LogMath.LogErfc((k - z0) / sqrt2Sigma);
            double logUpper = logCoefficient + (j * logQ) + (k * log1mQ)
                + (((j * j) - j) / (2.0 * sigma2))
                + s_logHalf + LogMath.LogErfc((z0 - j) / sqrt2Sigma);
            lower.Add(coefficientSign, logLower);
            upper.Add(coefficientSign, logUpper);

            if (k > alpha + 1.0 && Math.Max(logLower, logUpper) < StopLogTerm
                && logLower <= previousLower && logUpper <= previousUpper)
            {
                return Combine(lower, upper);
            }

            previousLower = logLower;
            previousUpper = logUpper;

            // Generalised binomial coefficient recurrence C(α, k+1) = C(α, k)·(α − k)/(k + 1); it changes sign
            // once k exceeds α and then alternates.
            double ratio = (alpha - k) / (k + 1);
            if (ratio < 0.0)
            {
                coefficientSign = -coefficientSign;
            }

            logCoefficient += Math.Log(Math.Abs(ratio));
        }

        return double.PositiveInfinity;
    }

    private static double Combine(SignedLogSum lower, SignedLogSum upper)
    {
        // Both halves are integrals of non-negative functions; a negative partial result can only come from
        // rounding in a degenerate regime, where no finite bound is claimed.
        if (lower.Sign < 0 || upper.Sign < 0)
        {
            return double.PositiveInfinity;
        }

        double logA = LogMath.LogAdd(lower.Log, upper.Log);
        return Math.Max(logA, 0.0);
    }

    private static void Validate(double sampleRate, double noiseMultiplier)
    {
        if (!(sampleRate >= 0.0 && sampleRate <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "The sample rate must be in [0, 1].");
        }

        if (!(noiseMultiplier >= 0.0) || double.IsPositiveInfinity(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier must be finite and non-negative.");
        }
    }

    private static void ValidateOrder(double order)
    {
        if (!(order > 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(order), order, "Rényi orders must be greater than 1.");
        }
    }
}
