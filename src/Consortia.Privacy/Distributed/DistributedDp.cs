using Consortia.Privacy.ClientLevel;

namespace Consortia.Privacy.Distributed;

/// <summary>
/// Client-level DP under secure aggregation with distributed integer noise (reference §3.5): each site clips its
/// update, rotates it (randomised Hadamard, public seed per round), scales it to the integer domain, rounds it
/// conditionally and adds its own share of the noise before masking — a discrete Gaussian (Kairouz, Liu, Steinke 2021;
/// the default) or Skellam (Agarwal, Kairouz, Liu 2021) share; the coordinator only ever unmasks a noisy sum, which it
/// un-rotates and rescales.
/// </summary>
/// <remarks>
/// <para>
/// <b>Scale.</b> R = max(64, ⌈4√D⌉): the clip bound C maps to norm R, so the rounding's inflation of the sensitivity
/// (Δ₂² ≈ R² + D/4 + R) stays within a few per cent; γ_g = C/R follows the round's (possibly adaptive) clip, so the
/// calibration does not change between rounds.
/// </para>
/// <para>
/// <b>Noise.</b> With total multiplier z (split into z_Δ and σ_b under adaptive clipping exactly as centrally), the
/// aggregate update noise has variance (z_Δ·Δ₂)² and the bit's (σ_b·2R)² (the bit b − ½ is sent as ±R, an integer,
/// so it has no rounding slack: its sensitivity is exactly R); each site adds 1/t of them, t = the fewest contributors
/// the round accepts, so any t honest survivors carry the full noise (more survivors only add noise). ε is the
/// mechanism's RDP (<see cref="DiscreteGaussianAccountant"/> with its τ term, or <see cref="SkellamAccountant"/>) of
/// both queries, composed, subsampled with q and summed over the rounds; for a target ε, z is found by bisection on
/// that ε.
/// </para>
/// <para>
/// <b>Ring.</b> Z_{2^32}. A site's rounded vector has every coordinate within Δ₂ (its norm is), so m sites sum to at
/// most m·Δ₂, which calibration requires to be ≤ 2^30; a coordinate then wraps only if the summed noise exceeds 2^30
/// in magnitude, which by Chebyshev has probability ≤ m·σ_l²/2^60 per coordinate
/// (<see cref="DistributedDpParameters.WrapProbabilityBound"/> sums it over the coordinates). A wrap would be a
/// utility loss, never a privacy loss.
/// </para>
/// </remarks>
public static class DistributedDp
{
    /// <summary>β of conditional rounding: each rounding attempt is rejected with probability at most β.</summary>
    public static readonly double RoundingBeta = Math.Exp(-0.5);

    private const double HalfRing = 1L << 30; // 2^(B−2) with B = 32

    /// <summary>The resolution R for a rotated length D.</summary>
    /// <param name="paddedLength">D.</param>
    /// <returns>R.</returns>
    public static int ResolutionFor(int paddedLength) => Math.Max(64, (int)Math.Ceiling(4 * Math.Sqrt(paddedLength)));

    /// <summary>Δ₂ = min(R + √D, √(R² + D/4 + √(2 ln(1/β))·(R + √D/2))): the norm bound after conditional rounding.</summary>
    /// <param name="resolution">R.</param>
    /// <param name="paddedLength">D.</param>
    /// <returns>Δ₂.</returns>
    public static double L2Bound(double resolution, int paddedLength)
    {
        double root = Math.Sqrt(paddedLength);
        double conditional = Math.Sqrt((resolution * resolution) + (paddedLength / 4.0) + (Math.Sqrt(2 * Math.Log(1 / RoundingBeta)) * (resolution + (root / 2))));
        return Math.Min(resolution + root, conditional);
    }

    /// <summary>Calibrates the mechanism (<see cref="ClientLevelDpOptions.Mechanism"/>) for a job's client-level DP options and one round shape.</summary>
    /// <param name="options">C, z or target ε, δ, adaptive clipping, the mechanism.</param>
    /// <param name="parameters">d: the model's parameter count.</param>
    /// <param name="participants">m: the sites in the round.</param>
    /// <param name="minimumContributors">t: the fewest contributors whose sum is unmasked (≤ m).</param>
    /// <param name="sampleRate">q = m/N.</param>
    /// <param name="rounds">The job's rounds T.</param>
    /// <returns>The parameters.</returns>
    /// <exception cref="InvalidOperationException">No z reaches the target ε, the noise is beyond the exact sampler's range, or the sum could overflow the ring.</exception>
    public static DistributedDpParameters Calibrate(ClientLevelDpOptions options, int parameters, int participants, int minimumContributors, double sampleRate, int rounds)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(participants, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumContributors, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumContributors, participants);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        DistributedMechanism mechanism = options.Mechanism;
        int padded = RandomizedHadamard.PaddedLength(parameters);
        int resolution = ResolutionFor(padded);
        double l2 = L2Bound(resolution, padded);
        double l1 = l2 * Math.Min(Math.Sqrt(padded), l2);
        if (participants * l2 > HalfRing)
        {
            throw new InvalidOperationException($"Distributed DP: {participants} sites × sensitivity {l2:G4} exceed the ring's headroom 2^30; the model is too large for 32-bit secure aggregation.");
        }

        double? bitNoise = options.Adaptive is { } adaptive ? adaptive.BitNoise ?? AdaptiveClipping.DefaultBitNoise(participants) : null;
        double bitScale = 2.0 * resolution;

        double UpdateMultiplier(double z) => bitNoise is { } s ? AdaptiveClipping.UpdateNoiseMultiplier(z, s) : z;
        DistributedDpParameters Shape(double z)
        {
            double zUpdate = UpdateMultiplier(z);
            double site = Square(zUpdate * l2) / minimumContributors;
            double? bitSite = bitNoise is { } sigma ? Square(sigma * bitScale) / minimumContributors : null;
            return new DistributedDpParameters(mechanism, padded, resolution, l2, l1, z, zUpdate, bitNoise, site, bitSite, minimumContributors, participants, 0, options.Delta, 0);
        }

        double EpsilonFor(double z)
        {
            DistributedDpParameters shape = Shape(z);
            return SkellamAccountant.Epsilon(sampleRate, rounds, options.Delta, l => RoundRdp(shape, l)).Epsilon;
        }

        double upper = bitNoise is { } sb ? 2 * sb * (1 - 1e-9) : 1000;
        double z = options.NoiseMultiplier ?? FindMultiplier(options.TargetEpsilon!.Value, upper, EpsilonFor, mechanism);
        if (bitNoise is { } b && !AdaptiveClipping.CanSplit(z, b))
        {
            throw new InvalidOperationException($"Adaptive clipping needs z < 2σ_b, but z = {z:G6} and σ_b = {b:G6}; raise bit_noise or the target ε, or use fixed clipping.");
        }

        DistributedDpParameters calibrated = Shape(z);
        double largest = Math.Max(calibrated.SiteVariance, calibrated.BitSiteVariance ?? 0);
        double limit = mechanism == DistributedMechanism.Skellam ? 2 * PoissonSampler.MaxMean : DiscreteGaussianSampler.MaxVariance;
        if (largest > limit)
        {
            throw new InvalidOperationException($"Distributed DP: each site's noise variance {largest:G4} is beyond the exact {Describe(mechanism)} sampler's range {limit:G4}; raise the target ε or the minimum number of contributors.");
        }

        double wrap = Math.Min(1, (padded + 1) * participants * largest / (HalfRing * HalfRing));
        return calibrated with { Epsilon = EpsilonFor(z), WrapProbabilityBound = wrap };
    }

    /// <summary>
    /// One round's RDP at integer order α (no subsampling): the update's release plus, under adaptive clipping, the
    /// bit's, each by the mechanism's own accountant with t contributors.
    /// </summary>
    /// <param name="parameters">The calibration.</param>
    /// <param name="order">α ≥ 2.</param>
    /// <returns>ε(α) of one round.</returns>
    public static double RoundRdp(DistributedDpParameters parameters, int order)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int t = parameters.MinimumContributors;
        double Release(double l2, double l1, int dimension, double siteVariance) => parameters.Mechanism == DistributedMechanism.Skellam
            ? SkellamAccountant.Rdp(order, l2, l1, t * siteVariance)
            : DiscreteGaussianAccountant.Rdp(order, l2, l1, dimension, siteVariance, t);

        double update = Release(parameters.L2Sensitivity, parameters.L1Sensitivity, parameters.PaddedLength, parameters.SiteVariance);
        return parameters.BitSiteVariance is { } bit ? update + Release(parameters.Resolution, parameters.Resolution, 1, bit) : update;
    }

    /// <summary>
    /// One round's RDP curve on any order grid, as a site books it: ε(α) ≤ ε(⌈α⌉) (Rényi divergence does not decrease
    /// with the order), with α &lt; 2 bounded by ε(2).
    /// </summary>
    /// <param name="parameters">The calibration.</param>
    /// <param name="orders">The grid's orders (each &gt; 1).</param>
    /// <returns>ε per order.</returns>
    public static double[] RoundCurve(DistributedDpParameters parameters, ReadOnlySpan<double> orders)
    {
        double[] curve = new double[orders.Length];
        for (int i = 0; i < orders.Length; i++)
        {
            curve[i] = RoundRdp(parameters, Math.Max(2, (int)Math.Ceiling(orders[i] - 1e-9))); // 2.0000000001 on a tenths grid is order 2
        }

        return curve;
    }

    /// <summary>The mechanism's name as the job file and the ledger spell it.</summary>
    /// <param name="mechanism">The mechanism.</param>
    /// <returns><c>discrete-gaussian</c> or <c>skellam</c>.</returns>
    public static string Describe(DistributedMechanism mechanism) => mechanism == DistributedMechanism.Skellam ? "skellam" : "discrete-gaussian";

    /// <summary>A site's contribution: rotate, scale, round conditionally, add its noise share (and the noised bit).</summary>
    /// <param name="clippedUpdate">The update, already clipped to L2 norm <paramref name="clipNorm"/> (length d ≤ D).</param>
    /// <param name="clipNorm">The round's clip bound C.</param>
    /// <param name="centredBit">Adaptive clipping's b − ½ (when the parameters carry a bit), else <see langword="null"/>.</param>
    /// <param name="parameters">The calibration.</param>
    /// <param name="rotationSeed">The round's public rotation seed (<see cref="RandomizedHadamard.SeedFor"/>).</param>
    /// <param name="source">The site's private word source: the rounding and the noise.</param>
    /// <returns>The integers to reduce mod 2^32 and mask (<see cref="DistributedDpParameters.EncodedLength"/>).</returns>
    /// <exception cref="ArgumentException">The bit is missing or unexpected, or the update is longer than D.</exception>
    public static long[] EncodeSite(ReadOnlySpan<float> clippedUpdate, double clipNorm, double? centredBit, DistributedDpParameters parameters, ulong rotationSeed, IRandomWordSource source)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(source);
        if ((parameters.BitSiteVariance is null) != (centredBit is null))
        {
            throw new ArgumentException("The adaptive-clipping bit must be given exactly when the calibration carries one.", nameof(centredBit));
        }

        int padded = parameters.PaddedLength;
        double scale = parameters.Resolution / clipNorm;
        double[] scaled = new double[clippedUpdate.Length];
        for (int i = 0; i < scaled.Length; i++)
        {
            scaled[i] = clippedUpdate[i] * scale;
        }

        double[] rotated = new double[padded];
        RandomizedHadamard.Rotate(scaled, rotated, rotationSeed);
        long[] encoded = new long[parameters.EncodedLength];
        ConditionalRounding.Round(rotated, encoded.AsSpan(0, padded), parameters.L2Sensitivity, source);
        Array.Clear(scaled);
        Array.Clear(rotated);
        AddNoise(encoded.AsSpan(0, padded), parameters.Mechanism, parameters.SiteVariance, source);
        if (centredBit is { } bit && parameters.BitSiteVariance is { } bitVariance)
        {
            encoded[padded] = (bit > 0 ? 1L : -1L) * parameters.Resolution;
            AddNoise(encoded.AsSpan(padded, 1), parameters.Mechanism, bitVariance, source);
        }

        return encoded;
    }

    /// <summary>The coordinator's decoding of the unmasked sum: un-rotate, rescale, and read the bit.</summary>
    /// <param name="sum">The signed sum of the sites' integer vectors (<see cref="DistributedDpParameters.EncodedLength"/>).</param>
    /// <param name="length">d: the update's length.</param>
    /// <param name="clipNorm">The round's clip bound C.</param>
    /// <param name="parameters">The calibration.</param>
    /// <param name="rotationSeed">The round's rotation seed.</param>
    /// <param name="bitSum">The noisy Σ (b − ½) when the parameters carry a bit, else <see langword="null"/>.</param>
    /// <returns>The noisy sum of the clipped updates (length d).</returns>
    public static double[] DecodeSum(ReadOnlySpan<long> sum, int length, double clipNorm, DistributedDpParameters parameters, ulong rotationSeed, out double? bitSum)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (sum.Length != parameters.EncodedLength || length > parameters.PaddedLength)
        {
            throw new ArgumentException($"Expected a sum of {parameters.EncodedLength} integers for an update of at most {parameters.PaddedLength} values, got {sum.Length} for {length}.", nameof(sum));
        }

        double[] rotated = new double[parameters.PaddedLength];
        for (int i = 0; i < rotated.Length; i++)
        {
            rotated[i] = sum[i];
        }

        RandomizedHadamard.Unrotate(rotated, rotationSeed);
        double scale = clipNorm / parameters.Resolution;
        double[] result = new double[length];
        for (int i = 0; i < length; i++)
        {
            result[i] = rotated[i] * scale;
        }

        bitSum = parameters.BitSiteVariance is null ? null : sum[parameters.PaddedLength] / (2.0 * parameters.Resolution);
        return result;
    }

    /// <summary>Adds one site's share of the mechanism's noise, of variance (parameter) <paramref name="variance"/>, to every element.</summary>
    /// <param name="values">The integers.</param>
    /// <param name="mechanism">The mechanism.</param>
    /// <param name="variance">σ_l² (discrete Gaussian) or μ_l (Skellam); 0 adds nothing.</param>
    /// <param name="source">The site's private word source.</param>
    public static void AddNoise(Span<long> values, DistributedMechanism mechanism, double variance, IRandomWordSource source)
    {
        if (variance == 0)
        {
            return; // no noise asked (calibration never asks for none: z > 0); lets tests see the exact rounding
        }

        if (mechanism == DistributedMechanism.Skellam)
        {
            SkellamSampler.FromVariance(variance).AddTo(values, source);
        }
        else
        {
            DiscreteGaussianSampler.FromVariance(variance).AddTo(values, source);
        }
    }

    private static double FindMultiplier(double targetEpsilon, double upper, Func<double, double> epsilonFor, DistributedMechanism mechanism)
    {
        if (epsilonFor(upper) > targetEpsilon)
        {
            throw new InvalidOperationException($"No noise multiplier up to {upper:G6} reaches client-level ε = {targetEpsilon} with distributed {Describe(mechanism)} noise.");
        }

        double lo = Math.Min(0.01, upper / 2);
        double hi = upper;
        if (epsilonFor(lo) <= targetEpsilon)
        {
            return lo;
        }

        // ε decreases in z: keep ε(lo) > target ≥ ε(hi), and return hi (the side that meets the target).
        for (int i = 0; i < 100 && (hi - lo) > 1e-6 * hi; i++)
        {
            double mid = Math.Sqrt(lo * hi);
            if (epsilonFor(mid) > targetEpsilon)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return hi;
    }

    private static double Square(double x) => x * x;
}
