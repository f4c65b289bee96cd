using System.Security.Cryptography;
using Consortia.Learning;
using Consortia.Privacy.Distributed;
using Consortia.Privacy.Mechanisms;
using Consortia.SecureAggregation.Crypto;

namespace Consortia.Federation.Sites;

/// <summary>
/// Where a site's random choices come from: batch order and DP-SGD's Poisson sampling, differential-privacy noise
/// and the stochastic rounding of quantisation. Each round gets its own streams, so a round's draws never depend on
/// which earlier rounds ran in this process (a restarted site continues exactly).
/// </summary>
/// <remarks>
/// <para>
/// A deployed site uses <see cref="Cryptographic"/>: every stream is seeded from the operating system's
/// cryptographic generator at the site and never leaves it, so a coordinator that chose the job seed still cannot
/// know which records were in a batch, which noise was added or how a value was rounded (issue 12: the coordinator is
/// an adversary). DP noise itself is drawn from the cryptographic generator directly.
/// </para>
/// <para>
/// Simulation (and a node configured with <c>randomness: seeded</c> to reproduce one) uses <see cref="Seeded"/>:
/// every stream derives from the job seed, the site and the round, so runs reproduce bit for bit and
/// <c>simulate --resume</c> continues exactly. Whoever knows the seed knows the noise: such a run is not private, and
/// says so in its output and ledgers.
/// </para>
/// </remarks>
public abstract class SiteRandomness
{
    private protected SiteRandomness()
    {
    }

    /// <summary>The randomness of a deployed site: private to the site, unknown to the coordinator.</summary>
    public static SiteRandomness Cryptographic { get; } = new CryptographicRandomness();

    /// <summary>Whether the streams are unknown to everyone but the site (<see langword="false"/> for seeded randomness).</summary>
    public abstract bool IsPrivate { get; }

    /// <summary>Randomness derived from a seeded source (simulation): reproducible, and therefore not private.</summary>
    /// <param name="site">The site's source, derived from the job seed and the site (e.g. <c>new RandomSource(seed).Derive("site").Derive(index)</c>).</param>
    /// <returns>The seeded randomness.</returns>
    public static SiteRandomness Seeded(RandomSource site)
    {
        ArgumentNullException.ThrowIfNull(site);
        return new SeededRandomness(site);
    }

    /// <summary>
    /// The stream that picks which of the site's records group reweighting (<c>fairness.reweighting</c>) copies or drops:
    /// private to the site when <see cref="IsPrivate"/>, so the coordinator that chose the job seed cannot know which records
    /// were drawn (only how many, which the summed counts fix).
    /// </summary>
    /// <returns>A fresh generator.</returns>
    public RandomSource Resampling() => Statistical("fairness-reweighting", new RoundNumber(0));

    /// <summary>The statistical stream for one purpose in one round (batch order, Poisson sampling).</summary>
    internal abstract RandomSource Statistical(string purpose, RoundNumber round);

    /// <summary>The Gaussian noise source for one round's DP noise; the caller disposes it when it is disposable.</summary>
    internal abstract INoiseSource Noise(RoundNumber round);

    /// <summary>The generator for one round's stochastic rounding; the caller disposes it when it is disposable.</summary>
    internal abstract ISecureRandom Rounding(RoundNumber round);

    /// <summary>Uniform 64-bit words for one purpose in one round (distributed DP's exact samplers); the caller disposes it when it is disposable.</summary>
    internal abstract IRandomWordSource Words(string purpose, RoundNumber round);

    private sealed class SeededRandomness(RandomSource site) : SiteRandomness
    {
        public override bool IsPrivate => false;

        internal override RandomSource Statistical(string purpose, RoundNumber round) => site.Derive(purpose).Derive((ulong)round.Value);

        internal override INoiseSource Noise(RoundNumber round) => new SeededNoiseSource(site.Derive("dp-noise").Derive((ulong)round.Value));

        internal override ISecureRandom Rounding(RoundNumber round) => new DeterministicSecureRandom(site.Derive("quantise").Derive((ulong)round.Value).NextUInt64());

        internal override IRandomWordSource Words(string purpose, RoundNumber round) => new SeededWordSource(site.Derive(purpose).Derive((ulong)round.Value));
    }

    private sealed class CryptographicRandomness : SiteRandomness
    {
        public override bool IsPrivate => true;

        // xoshiro256** with its whole 256-bit state drawn from the OS generator, fresh for every round and purpose:
        // fast enough for per-example Poisson draws, and its state never leaves the site.
        internal override RandomSource Statistical(string purpose, RoundNumber round)
        {
            Span<ulong> state = stackalloc ulong[4];
            RandomNumberGenerator.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(state));
            RandomSource source = RandomSource.FromState(state);
            state.Clear();
            return source;
        }

        internal override INoiseSource Noise(RoundNumber round) => new CryptographicNoiseSource();

        internal override ISecureRandom Rounding(RoundNumber round) => SystemSecureRandom.Instance;

        internal override IRandomWordSource Words(string purpose, RoundNumber round) => new CryptographicWordSource();
    }
}
