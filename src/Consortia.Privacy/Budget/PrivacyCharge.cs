using System.Text.Json;

namespace Consortia.Privacy.Budget;

/// <summary>A request to spend privacy budget: one release (or one round's worth of steps) of a DP mechanism.</summary>
/// <remarks>
/// A closed hierarchy. <see cref="SampledGaussian"/> and <see cref="RdpCurve"/> charges carry a Rényi-DP curve and
/// compose tightly (curves are added order by order); <see cref="ApproximateDp"/> charges carry only (ε, δ) and
/// compose by basic composition (ε and δ add up), which is conservative.
/// </remarks>
public abstract record PrivacyCharge
{
    private PrivacyCharge(string jobId, int round)
    {
        JobId = jobId;
        Round = round;
    }

    /// <summary>The job the charge belongs to.</summary>
    public string JobId { get; }

    /// <summary>The round (or other sequence number) within the job, ≥ 0.</summary>
    public int Round { get; }

    /// <summary>The mechanism's name as recorded in the ledger.</summary>
    public abstract string Mechanism { get; }

    /// <summary>Checks the common and case-specific fields.</summary>
    /// <exception cref="ArgumentException">A field is invalid; the message names it.</exception>
    public virtual void Validate()
    {
        if (string.IsNullOrWhiteSpace(JobId))
        {
            throw new ArgumentException($"{nameof(JobId)} must not be empty.", nameof(JobId));
        }

        if (Round < 0)
        {
            throw new ArgumentException($"{nameof(Round)} must be non-negative (got {Round}).", nameof(Round));
        }
    }

    private static void ValidateJson(string json, string field)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{field} is not valid JSON: {e.Message}", field, e);
        }
    }

    /// <summary><see cref="Steps"/> steps of the Poisson-subsampled Gaussian mechanism (DP-SGD steps, DP-FedAvg rounds).</summary>
    public sealed record SampledGaussian : PrivacyCharge
    {
        /// <summary>Creates the charge.</summary>
        /// <param name="jobId">The job.</param>
        /// <param name="round">The round.</param>
        /// <param name="sampleRate">The Poisson sampling rate q in (0, 1].</param>
        /// <param name="noiseMultiplier">The noise multiplier σ &gt; 0.</param>
        /// <param name="steps">The number of steps, ≥ 1.</param>
        public SampledGaussian(string jobId, int round, double sampleRate, double noiseMultiplier, long steps)
            : base(jobId, round)
        {
            SampleRate = sampleRate;
            NoiseMultiplier = noiseMultiplier;
            Steps = steps;
        }

        /// <summary>The Poisson sampling rate q.</summary>
        public double SampleRate { get; }

        /// <summary>The noise multiplier σ.</summary>
        public double NoiseMultiplier { get; }

        /// <summary>The number of steps.</summary>
        public long Steps { get; }

        /// <inheritdoc/>
        public override string Mechanism => "sampled_gaussian";

        /// <inheritdoc/>
        public override void Validate()
        {
            base.Validate();
            if (!(SampleRate > 0.0 && SampleRate <= 1.0))
            {
                throw new ArgumentException($"{nameof(SampleRate)} must be in (0, 1] (got {SampleRate}).", nameof(SampleRate));
            }

            if (!(NoiseMultiplier > 0.0) || !double.IsFinite(NoiseMultiplier))
            {
                throw new ArgumentException($"{nameof(NoiseMultiplier)} must be finite and positive (got {NoiseMultiplier}).", nameof(NoiseMultiplier));
            }

            if (Steps < 1)
            {
                throw new ArgumentException($"{nameof(Steps)} must be at least 1 (got {Steps}).", nameof(Steps));
            }
        }
    }

    /// <summary>A mechanism described by its RDP curve on the ledger's order grid (e.g. distributed Skellam noise).</summary>
    public sealed record RdpCurve : PrivacyCharge
    {
        private readonly string _mechanism;

        /// <summary>Creates the charge.</summary>
        /// <param name="jobId">The job.</param>
        /// <param name="round">The round.</param>
        /// <param name="mechanism">The mechanism's name.</param>
        /// <param name="parametersJson">The mechanism's parameters as a JSON document, recorded for re-checking.</param>
        /// <param name="rdp">R(α) at every order of the ledger's grid, in grid order (non-negative, +∞ allowed).</param>
        public RdpCurve(string jobId, int round, string mechanism, string parametersJson, IReadOnlyList<double> rdp)
            : base(jobId, round)
        {
            _mechanism = mechanism;
            ParametersJson = parametersJson;
            Rdp = rdp;
        }

        /// <summary>The mechanism's parameters as JSON.</summary>
        public string ParametersJson { get; }

        /// <summary>R(α) per order of the ledger's grid (compared by reference in record equality).</summary>
        public IReadOnlyList<double> Rdp { get; }

        /// <inheritdoc/>
        public override string Mechanism => _mechanism;

        /// <inheritdoc/>
        public override void Validate()
        {
            base.Validate();
            if (string.IsNullOrWhiteSpace(_mechanism))
            {
                throw new ArgumentException($"{nameof(Mechanism)} must not be empty.", nameof(Mechanism));
            }

            ArgumentNullException.ThrowIfNull(ParametersJson);
            ValidateJson(ParametersJson, nameof(ParametersJson));
            ArgumentNullException.ThrowIfNull(Rdp);
            for (int i = 0; i < Rdp.Count; i++)
            {
                if (!(Rdp[i] >= 0.0))
                {
                    throw new ArgumentException($"{nameof(Rdp)}[{i}] must be non-negative (got {Rdp[i]}).", nameof(Rdp));
                }
            }
        }
    }

    /// <summary>A mechanism known only by its (ε, δ)-DP guarantee; composed by basic composition.</summary>
    public sealed record ApproximateDp : PrivacyCharge
    {
        private readonly string _mechanism;

        /// <summary>Creates the charge.</summary>
        /// <param name="jobId">The job.</param>
        /// <param name="round">The round.</param>
        /// <param name="mechanism">The mechanism's name.</param>
        /// <param name="parametersJson">The mechanism's parameters as a JSON document.</param>
        /// <param name="epsilon">The mechanism's ε ≥ 0.</param>
        /// <param name="delta">The mechanism's δ in [0, 1); it is taken from the site's δ.</param>
        public ApproximateDp(string jobId, int round, string mechanism, string parametersJson, double epsilon, double delta)
            : base(jobId, round)
        {
            _mechanism = mechanism;
            ParametersJson = parametersJson;
            Epsilon = epsilon;
            Delta = delta;
        }

        /// <summary>The mechanism's parameters as JSON.</summary>
        public string ParametersJson { get; }

        /// <summary>The mechanism's ε.</summary>
        public double Epsilon { get; }

        /// <summary>The mechanism's δ.</summary>
        public double Delta { get; }

        /// <inheritdoc/>
        public override string Mechanism => _mechanism;

        /// <inheritdoc/>
        public override void Validate()
        {
            base.Validate();
            if (string.IsNullOrWhiteSpace(_mechanism))
            {
                throw new ArgumentException($"{nameof(Mechanism)} must not be empty.", nameof(Mechanism));
            }

            ArgumentNullException.ThrowIfNull(ParametersJson);
            ValidateJson(ParametersJson, nameof(ParametersJson));
            if (!(Epsilon >= 0.0) || !double.IsFinite(Epsilon))
            {
                throw new ArgumentException($"{nameof(Epsilon)} must be finite and non-negative (got {Epsilon}).", nameof(Epsilon));
            }

            if (!(Delta >= 0.0 && Delta < 1.0))
            {
                throw new ArgumentException($"{nameof(Delta)} must be in [0, 1) (got {Delta}).", nameof(Delta));
            }
        }
    }
}
