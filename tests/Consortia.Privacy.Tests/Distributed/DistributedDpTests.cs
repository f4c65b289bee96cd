using Consortia.Learning;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Distributed;

namespace Consortia.Privacy.Tests.Distributed;

public sealed class DistributedDpTests
{
    private static ClientLevelDpOptions Target4(DistributedMechanism mechanism) => new() { TargetEpsilon = 4, ClipNorm = 0.5, Mechanism = mechanism };

    [Theory]
    [InlineData(DistributedMechanism.DiscreteGaussian)]
    [InlineData(DistributedMechanism.Skellam)]
    public void Calibrate_TargetEpsilon_IsMetTightly(DistributedMechanism mechanism)
    {
        DistributedDpParameters p = DistributedDp.Calibrate(Target4(mechanism), parameters: 14, participants: 4, minimumContributors: 3, sampleRate: 1, rounds: 1);

        Assert.Equal(mechanism, p.Mechanism);
        Assert.InRange(p.Epsilon, 4 * 0.999, 4.0);
        Assert.Equal(16, p.PaddedLength);
        Assert.Equal(64, p.Resolution);
        Assert.True(p.L2Sensitivity > 64 && p.L2Sensitivity < 64 * 1.02, $"Δ₂ = {p.L2Sensitivity}");
        Assert.Equal(p.SiteVariance * 3, Math.Pow(p.UpdateNoiseMultiplier * p.L2Sensitivity, 2), 6);
        Assert.True(p.WrapProbabilityBound < 1e-12);
        Assert.Null(p.BitSiteVariance);
    }

    [Theory]
    [InlineData(DistributedMechanism.DiscreteGaussian)]
    [InlineData(DistributedMechanism.Skellam)]
    public void Calibrate_CloseToTheGaussianMultiplier_ForTheSameTarget(DistributedMechanism mechanism)
    {
        // The discrete corrections are small at this scale: z within 2 % of the central Gaussian's.
        double central = ClientLevelAccounting.Calibrate(4, 1e-5, 1);
        DistributedDpParameters p = DistributedDp.Calibrate(Target4(mechanism), 14, 4, 3, 1, 1);

        Assert.InRange(p.NoiseMultiplier, central, central * 1.02);
    }

    [Fact]
    public void Calibrate_FixedMultiplier_ReportsItsEpsilon_AndFewerSurvivorsMeanMoreNoisePerSite()
    {
        ClientLevelDpOptions options = new() { NoiseMultiplier = 1.0 };
        DistributedDpParameters three = DistributedDp.Calibrate(options, 100, 10, 3, 0.5, 20);
        DistributedDpParameters eight = DistributedDp.Calibrate(options, 100, 10, 8, 0.5, 20);

        Assert.Equal(1.0, three.NoiseMultiplier);
        Assert.Equal(three.Epsilon, eight.Epsilon, 12);
        Assert.Equal(three.SiteVariance * 3, eight.SiteVariance * 8, 6);
    }

    [Fact]
    public void Calibrate_AdaptiveClipping_NoisesTheBitAndSplitsZ()
    {
        ClientLevelDpOptions options = new() { NoiseMultiplier = 1.0, Adaptive = new AdaptiveClippingOptions { BitNoise = 2 } };
        DistributedDpParameters p = DistributedDp.Calibrate(options, 30, 20, 15, 1, 5);

        Assert.Equal(AdaptiveClipping.UpdateNoiseMultiplier(1.0, 2), p.UpdateNoiseMultiplier, 12);
        Assert.Equal(Math.Pow(2 * 2.0 * p.Resolution, 2) / 15, p.BitSiteVariance!.Value, 6);
        Assert.Equal(p.PaddedLength + 1, p.EncodedLength);
    }

    [Fact]
    public void Calibrate_DefaultMechanism_IsTheDiscreteGaussian_AndTheSkellamEpsilonIsItsOwn()
    {
        ClientLevelDpOptions gaussian = new() { NoiseMultiplier = 1.2 };
        DistributedDpParameters dg = DistributedDp.Calibrate(gaussian, 100, 6, 4, 1, 10);
        DistributedDpParameters skellam = DistributedDp.Calibrate(gaussian with { Mechanism = DistributedMechanism.Skellam }, 100, 6, 4, 1, 10);

        Assert.Equal(DistributedMechanism.DiscreteGaussian, dg.Mechanism);
        Assert.Equal(dg.SiteVariance, skellam.SiteVariance); // same z, same noise variance ...
        Assert.NotEqual(dg.Epsilon, skellam.Epsilon); // ... but each mechanism's own accountant
        Assert.Equal(skellam.Epsilon, SkellamAccountant.Epsilon(1, 10, 1e-5, l => SkellamAccountant.Rdp(l, skellam.L2Sensitivity, skellam.L1Sensitivity, 4 * skellam.SiteVariance)).Epsilon, 12);
    }

    [Fact]
    public void Calibrate_UnreachableTarget_IsRefused()
    {
        ClientLevelDpOptions options = new() { TargetEpsilon = 1e-4 };

        Assert.Throws<InvalidOperationException>(() => DistributedDp.Calibrate(options, 14, 4, 3, 1, 100));
    }

    [Theory]
    [InlineData(DistributedMechanism.DiscreteGaussian)]
    [InlineData(DistributedMechanism.Skellam)]
    public void EncodeSite_RoundedVectorIsWithinTheBound_AndNoiseIsTheSitesShare(DistributedMechanism mechanism)
    {
        ClientLevelDpOptions options = new() { NoiseMultiplier = 1.0, Mechanism = mechanism };
        DistributedDpParameters p = DistributedDp.Calibrate(options, 50, 5, 4, 1, 1);
        RandomSource random = new(8);
        float[] update = [.. Enumerable.Range(0, 50).Select(_ => (float)random.NextGaussian())];
        ClientLevelMechanism.ClipUpdate(update, 2.0);

        // Without noise the encoded vector is the conditionally rounded rotation: within Δ₂.
        DistributedDpParameters silent = p with { SiteVariance = 0 };
        long[] rounded = DistributedDp.EncodeSite(update, 2.0, null, silent, 99, new SeededWordSource(new RandomSource(1)));
        Assert.True(Math.Sqrt(rounded.Sum(v => (double)v * v)) <= p.L2Sensitivity);

        // With noise: encoded − rounded (same seed, same rounding draws) has the site's variance.
        long[] noisy = DistributedDp.EncodeSite(update, 2.0, null, p, 99, new SeededWordSource(new RandomSource(1)));
        double[] noise = [.. noisy.Zip(rounded, (a, b) => (double)(a - b))];
        double variance = noise.Sum(v => v * v) / noise.Length;
        Assert.InRange(variance, p.SiteVariance * 0.5, p.SiteVariance * 1.6); // 64 draws: a loose band
    }

    /// <summary>
    /// The protocol is exact: the decoded sum is, up to the rotation's floating point, the inverse rotation of the
    /// sites' summed rounded vectors plus their summed noise — nothing is lost or added on the way.
    /// </summary>
    [Theory]
    [InlineData(DistributedMechanism.DiscreteGaussian)]
    [InlineData(DistributedMechanism.Skellam)]
    public void DecodeSum_OfTheSitesEncodings_IsTheirRoundedRotatedUpdatesPlusTheTotalNoise(DistributedMechanism mechanism)
    {
        ClientLevelDpOptions options = new() { NoiseMultiplier = 0.8, Adaptive = new AdaptiveClippingOptions { BitNoise = 1 }, Mechanism = mechanism };
        const int Sites = 5, Length = 21;
        const double Clip = 0.7;
        DistributedDpParameters p = DistributedDp.Calibrate(options, Length, Sites, 4, 1, 1);
        DistributedDpParameters silent = p with { SiteVariance = 0, BitSiteVariance = 0 };
        ulong seed = RandomizedHadamard.SeedFor("exact", 2);
        long[] sum = new long[p.EncodedLength];
        long[] roundedSum = new long[p.EncodedLength];
        double[] clippedSum = new double[Length];
        for (int site = 0; site < Sites; site++)
        {
            RandomSource random = new RandomSource(30).Derive((ulong)site);
            float[] update = [.. Enumerable.Range(0, Length).Select(_ => (float)(0.3 * random.NextGaussian()))];
            double norm = ClientLevelMechanism.ClipUpdate(update, Clip);
            double bit = ClientLevelMechanism.CentredUnclippedBit(norm, Clip);
            long[] encoded = DistributedDp.EncodeSite(update, Clip, bit, p, seed, new SeededWordSource(random.Derive("noise")));
            long[] rounded = DistributedDp.EncodeSite(update, Clip, bit, silent, seed, new SeededWordSource(random.Derive("noise")));
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += encoded[i];
                roundedSum[i] += rounded[i];
            }

            for (int i = 0; i < Length; i++)
            {
                clippedSum[i] += update[i];
            }
        }

        double[] decoded = DistributedDp.DecodeSum(sum, Length, Clip, p, seed, out double? bitSum);

        // Exactness: rotating the decoded sum back gives the integer sum (rounded + noise) exactly, to float precision.
        double[] back = new double[p.PaddedLength];
        double[] padded = new double[p.PaddedLength];
        double[] full = DistributedDp.DecodeSum(sum, p.PaddedLength, Clip, p, seed, out _);
        Array.Copy(full, padded, full.Length);
        RandomizedHadamard.Rotate([.. padded.Select(v => v * p.Resolution / Clip)], back, seed);
        for (int i = 0; i < back.Length; i++)
        {
            Assert.Equal(sum[i], back[i], 6);
        }

        Assert.Equal(decoded, full[..Length]);
        Assert.Equal(sum[^1] / (2.0 * p.Resolution), bitSum!.Value, 12);

        // And without noise the decoding is the sum of the clipped updates up to the rounding (≤ √D/2 per site in norm).
        double[] noiseless = DistributedDp.DecodeSum(roundedSum, Length, Clip, silent, seed, out double? bits);
        double error = Math.Sqrt(noiseless.Zip(clippedSum, (a, b) => (a - b) * (a - b)).Sum());
        Assert.True(error <= Sites * Math.Sqrt(p.PaddedLength) / 2 * Clip / p.Resolution, $"rounding error {error}");
        Assert.Equal(Math.Round(bits!.Value * 2) / 2, bits.Value); // Σ (b − ½) is a multiple of ½ without noise
    }

    [Fact]
    public void EncodeSite_BitMismatch_IsRefused()
    {
        DistributedDpParameters p = DistributedDp.Calibrate(new ClientLevelDpOptions { NoiseMultiplier = 1 }, 4, 3, 3, 1, 1);

        Assert.Throws<ArgumentException>(() => DistributedDp.EncodeSite(new float[4], 1, 0.5, p, 1, new SeededWordSource(new RandomSource(1))));
    }
}
