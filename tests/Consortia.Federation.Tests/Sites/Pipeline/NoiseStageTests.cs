using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Local;
using Consortia.Federation.Sites.Pipeline;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Distributed;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;
using Consortia.SecureAggregation.Simulation;

namespace Consortia.Federation.Tests.Sites.Pipeline;

public sealed class NoiseStageTests
{
    private const double Clip = 0.4;
    private static readonly ParameterLayout s_layout = new ModelSpec(ModelKind.Logistic, 12, []).CreateLayout(); // 13 values → D = 16
    private static readonly string[] s_sites = ["a", "b", "c", "d"];
    private static readonly ClientLevelDpOptions s_options = new() { ClipNorm = Clip, NoiseMultiplier = 0.9, Adaptive = new AdaptiveClippingOptions { BitNoise = 1.5 } };
    private static readonly ClientDpSettings s_settings = new(s_options, "job", 3) { SecureAggregation = new SecureAggregationSettings() };

    private static DistributedDpParameters Calibration() => DistributedDp.Calibrate(s_options, s_layout.Length, s_sites.Length, 3, 1.0, 3);

    private static TrainTask Task(int participant, SecureTrainingSession? session, int round = 2) =>
        new(new SiteId(s_sites[participant - 1]), new RoundNumber(round), new ParameterVector(s_layout), new LocalTrainingOptions { BatchSize = 4 }, SecureSession: session)
        {
            ClientDp = new ClientDpRound("job", Clip, true, 0.9, 1.0, 1e-5),
            Participants = s_sites.Length,
        };

    private static SecAggSessionOptions Session(int round = 2) => new()
    {
        JobId = "job",
        RoundNumber = round,
        Participants = s_sites,
        VectorLength = DistributedUpdateLayout.Length(Calibration()),
        Threshold = 3,
    };

    private static float[] Delta(int site)
    {
        RandomSource random = new RandomSource(11).Derive((ulong)site);
        return [.. Enumerable.Range(0, s_layout.Length).Select(_ => (float)(0.2 * random.NextGaussian()))];
    }

    private static SiteRandomness Site(int site) => SiteRandomness.Seeded(new RandomSource(12).Derive((ulong)site));

    /// <summary>The words a seeded site draws its round's noise from (as <see cref="SiteRandomness.Seeded"/> derives them).</summary>
    private static SeededWordSource Words(int site, int round) => new(new RandomSource(12).Derive((ulong)site).Derive("distributed-dp-noise").Derive((ulong)round));

    /// <summary>
    /// The protocol is exact end to end: the sites' pipelines (clip → noise → weight → quantise), real secure aggregation
    /// (masks, shares, unmasking) and the coordinator's decoding give exactly the un-rotated sum of what each site
    /// rounded and noised — recomputed here from the same seeded randomness — with every site counted once.
    /// </summary>
    [Fact]
    public void Pipeline_ThroughSecureAggregation_DecodesToTheSumOfTheSitesRoundedRotatedUpdatesPlusTheirNoise()
    {
        DistributedDpParameters p = Calibration();
        SecAggSessionOptions session = Session();
        UpdatePipeline[] pipelines = [.. s_sites.Select((_, i) => new UpdatePipeline([new ClientClipStage(), new NoiseStage(new DistributedCalibration(s_settings), Site(i)), new WeightStage(), new QuantiseStage(SiteRandomness.Seeded(new RandomSource(1)))]))];
        List<ReadOnlyMemory<uint>> inputs = [];
        long[] expectedSum = new long[p.EncodedLength];
        ulong seed = RandomizedHadamard.SeedFor("job", 2);
        for (int i = 0; i < s_sites.Length; i++)
        {
            SecureTrainingSession secure = new(session, new FixedPointOptions { ClipRange = 1, MaxSummands = 4 }, i + 1, false) { UnclippedBit = true };
            UpdateDraft draft = new(Task(i + 1, secure), new ParameterVector(s_layout, Delta(i)), 50, 0.3, 5, 20);
            pipelines[i].Apply(draft);
            uint[] encoded = Assert.IsType<uint[]>(draft.Encoded);
            Assert.Equal(session.VectorLength, encoded.Length);
            inputs.Add(encoded);

            // The same site, recomputed: clip, then the mechanism with the same seeded words.
            float[] clipped = Delta(i);
            double norm = ClientLevelMechanism.ClipUpdate(clipped, Clip);
            long[] own = DistributedDp.EncodeSite(clipped, Clip, ClientLevelMechanism.CentredUnclippedBit(norm, Clip), p, seed, Words(i, 2));
            for (int j = 0; j < own.Length; j++)
            {
                expectedSum[j] += own[j];
            }
        }

        SecAggSimulationResult round = SecAggRoundSimulator.Run(new SecAggSimulationOptions { Session = session, Seed = 3 }, inputs);
        SecureSum sum = Assert.IsType<SecureAggregationOutcome.Succeeded>(round.Outcome).Result;
        SummedUpdates decoded = DistributedUpdateLayout.Decode(sum.Sum, s_layout, sum.Contributors.Count, Clip, p, seed);

        double[] expected = DistributedDp.DecodeSum(expectedSum, s_layout.Length, Clip, p, seed, out double? expectedBits);
        for (int j = 0; j < expected.Length; j++)
        {
            Assert.Equal((float)expected[j], decoded.WeightedSum.Values[j]);
        }

        Assert.Equal(4.0, decoded.TotalWeight); // every site counts once
        Assert.Equal(expectedBits, decoded.UnclippedBitSum);
    }

    [Fact]
    public void Apply_NoisesTheUpdate_AndClearsThePlainValues()
    {
        SecureTrainingSession secure = new(Session(), new FixedPointOptions { ClipRange = 1, MaxSummands = 4 }, 1, false) { UnclippedBit = true };
        UpdateDraft draft = new(Task(1, secure), new ParameterVector(s_layout, Delta(0)), 1, double.NaN, 5, 20) { UnclippedBit = 0.5 };
        ClientLevelMechanism.ClipUpdate(draft.Delta.Values, Clip);

        new NoiseStage(new DistributedCalibration(s_settings), Site(0)).Apply(draft);

        long[] integers = Assert.IsType<long[]>(draft.RingIntegers);
        DistributedDpParameters p = Calibration();
        Assert.Equal(DistributedUpdateLayout.Length(p), integers.Length);
        Assert.Equal(1, integers[p.PaddedLength]); // the weight
        Assert.Equal(0, integers[p.PaddedLength + 1]); // no training loss leaves the site
        Assert.All(draft.Delta.Values.ToArray(), v => Assert.Equal(0f, v));
        Assert.Null(draft.UnclippedBit);
    }

    [Fact]
    public void Apply_DistributedJobWithoutASecureSession_RefusesToSendAnUnnoisedUpdate()
    {
        UpdateDraft draft = new(Task(1, session: null), new ParameterVector(s_layout, Delta(0)), 1, double.NaN, 5, 20);

        Assert.Contains("secure aggregation", Assert.Throws<InvalidOperationException>(() => new NoiseStage(new DistributedCalibration(s_settings), Site(0)).Apply(draft)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_TrustedCoordinatorOrNoClientDp_LeavesTheDraft()
    {
        SecureTrainingSession secure = new(Session(), new FixedPointOptions { ClipRange = 1, MaxSummands = 4 }, 1, false);
        UpdateDraft trusted = new(Task(1, secure), new ParameterVector(s_layout, Delta(0)), 1, double.NaN, 5, 20);
        UpdateDraft none = new(Task(1, secure), new ParameterVector(s_layout, Delta(0)), 1, double.NaN, 5, 20);

        new NoiseStage(new DistributedCalibration(s_settings with { TrustedCoordinator = true }), Site(0)).Apply(trusted);
        new NoiseStage(new DistributedCalibration(null), Site(0)).Apply(none);

        Assert.Null(trusted.RingIntegers);
        Assert.Null(none.RingIntegers);
        Assert.Equal(Delta(0), trusted.Delta.Values.ToArray());
    }
}
