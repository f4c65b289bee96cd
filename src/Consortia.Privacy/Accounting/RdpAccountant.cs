namespace Consortia.Privacy.Accounting;

/// <summary>
/// A Rényi-DP accountant for compositions of (possibly heterogeneous) sampled Gaussian mechanisms: steps of DP-SGD,
/// rounds of DP-FedAvg, or whole jobs at one site.
/// </summary>
/// <remarks>
/// <para>
/// Each <see cref="AddSampledGaussian"/> adds steps·ε_{q,σ}(α) to the running curve R(α) at every order of the
/// grid (Mironov, Talwar, Zhang 2019, see <see cref="SampledGaussianRdp"/>); <see cref="GetEpsilon"/> converts the
/// composed curve once, at the end. The history of entries and the full curve are exposed so a compliance report
/// can be re-checked. The default grid is <see cref="RdpOrderGrid.OpacusDefault"/> and the default conversion
/// <see cref="RdpConversion.Balle2020"/>, the primary variant of the test vectors.
/// </para>
/// <para>Not thread-safe: use one instance per site and job, or synchronise externally.</para>
/// </remarks>
public sealed class RdpAccountant
{
    private readonly double[] _rdp;
    private readonly double[] _scratch;
    private readonly List<SampledGaussianEntry> _history = [];
    private double _cachedSampleRate = double.NaN;
    private double _cachedNoiseMultiplier = double.NaN;

    /// <summary>Creates an accountant on <see cref="RdpOrderGrid.OpacusDefault"/>.</summary>
    public RdpAccountant()
        : this(RdpOrderGrid.OpacusDefault)
    {
    }

    /// <summary>Creates an accountant on the given order grid.</summary>
    /// <param name="grid">The Rényi orders to track.</param>
    public RdpAccountant(RdpOrderGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        Grid = grid;
        _rdp = new double[grid.Count];
        _scratch = new double[grid.Count];
    }

    /// <summary>The order grid.</summary>
    public RdpOrderGrid Grid { get; }

    /// <summary>The composed curve R(α), one value per order of <see cref="Grid"/>.</summary>
    public ReadOnlySpan<double> Rdp => _rdp;

    /// <summary>The entries added so far, in order.</summary>
    public IReadOnlyList<SampledGaussianEntry> History => _history;

    /// <summary>Composes <paramref name="steps"/> steps of the sampled Gaussian mechanism with (q, σ).</summary>
    /// <param name="sampleRate">The Poisson sampling rate q in [0, 1].</param>
    /// <param name="noiseMultiplier">The noise multiplier σ ≥ 0.</param>
    /// <param name="steps">The number of steps, ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its domain.</exception>
    public void AddSampledGaussian(double sampleRate, double noiseMultiplier, long steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ReadOnlySpan<double> single = SingleStep(sampleRate, noiseMultiplier);
        for (int i = 0; i < _rdp.Length; i++)
        {
            // 0·∞ would be NaN; zero steps cost nothing.
            if (steps > 0)
            {
                _rdp[i] += steps * single[i];
            }
        }

        _history.Add(new SampledGaussianEntry(sampleRate, noiseMultiplier, steps));
    }

    /// <summary>Converts the composed curve to ε at the given δ.</summary>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="conversion">The conversion; the improved bound by default.</param>
    /// <returns>ε, δ and the optimal order.</returns>
    public PrivacyGuarantee GetEpsilon(double delta, RdpConversion conversion = RdpConversion.Balle2020) =>
        RdpConverter.ToEpsilon(Grid.Orders, _rdp, delta, conversion);

    /// <summary>Converts the composed curve to δ at the given ε.</summary>
    /// <param name="epsilon">ε ≥ 0.</param>
    /// <param name="conversion">The conversion; the improved bound by default.</param>
    /// <returns>δ in [0, 1].</returns>
    public double GetDelta(double epsilon, RdpConversion conversion = RdpConversion.Balle2020) =>
        RdpConverter.ToDelta(Grid.Orders, _rdp, epsilon, conversion);

    /// <summary>Computes ε for <paramref name="steps"/> steps of one sampled Gaussian mechanism.</summary>
    /// <param name="sampleRate">The Poisson sampling rate q in [0, 1].</param>
    /// <param name="noiseMultiplier">The noise multiplier σ ≥ 0.</param>
    /// <param name="steps">The number of steps, ≥ 0.</param>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="grid">The order grid; <see cref="RdpOrderGrid.OpacusDefault"/> when null.</param>
    /// <param name="conversion">The conversion; the improved bound by default.</param>
    /// <returns>ε, δ and the optimal order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its domain.</exception>
    public static PrivacyGuarantee ComputeEpsilon(
        double sampleRate,
        double noiseMultiplier,
        long steps,
        double delta,
        RdpOrderGrid? grid = null,
        RdpConversion conversion = RdpConversion.Balle2020)
    {
        RdpAccountant accountant = new(grid ?? RdpOrderGrid.OpacusDefault);
        accountant.AddSampledGaussian(sampleRate, noiseMultiplier, steps);
        return accountant.GetEpsilon(delta, conversion);
    }

    // Rounds usually repeat the same (q, σ): keep the last single-step curve.
    private ReadOnlySpan<double> SingleStep(double sampleRate, double noiseMultiplier)
    {
        if (!(sampleRate.Equals(_cachedSampleRate) && noiseMultiplier.Equals(_cachedNoiseMultiplier)))
        {
            _cachedSampleRate = double.NaN;
            SampledGaussianRdp.Compute(sampleRate, noiseMultiplier, Grid.Orders, _scratch);
            _cachedSampleRate = sampleRate;
            _cachedNoiseMultiplier = noiseMultiplier;
        }

        return _scratch;
    }
}
