using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;
using Consortia.SecureAggregation.Simulation;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Simulation;

public sealed class SecAggRoundSimulatorTests
{
    private static ReadOnlyMemory<uint>[] Inputs(uint[][] inputs) => [.. inputs.Select(i => (ReadOnlyMemory<uint>)i)];

    private static HashSet<ParticipantIndex> Set(params int[] participants) => participants.Select(p => new ParticipantIndex(p)).ToHashSet();

    [Fact]
    public void Run_DropoutsAtEveryPoint_ReturnsSumOfMaskedInputsWithMeasurements()
    {
        uint[][] inputs = SessionFactory.RandomInputs(10, 50, 4);
        SecAggSimulationOptions options = new()
        {
            Session = SessionFactory.Create(10, 5, vectorLength: 50),
            Seed = 3,
            Dropouts = new DropoutPlan { BeforeAdvertising = Set(1), BeforeSharing = Set(2), BeforeMasking = Set(3), BeforeUnmasking = Set(4) },
        };

        SecAggSimulationResult result = SecAggRoundSimulator.Run(options, Inputs(inputs));

        SecureSum sum = Assert.IsType<SecureAggregationOutcome.Succeeded>(result.Outcome).Result;
        Assert.Equal([4, 5, 6, 7, 8, 9, 10], sum.Contributors.Select(c => c.Value));
        Assert.Equal(SessionFactory.PlainSum(inputs.Skip(3), 50), sum.Sum);
        Assert.Equal(
            [SecAggStage.AdvertiseKeys, SecAggStage.ShareKeys, SecAggStage.CollectMaskedInputs, SecAggStage.Unmasking],
            result.Phases.Select(p => p.Stage));
        Assert.Equal([9, 8, 7, 6], result.Phases.Select(p => p.ActiveClients));
        Assert.All(result.Phases, p => Assert.True(p.MeanClientTime > TimeSpan.Zero && p.MaxClientTime >= p.MeanClientTime));
        Assert.True(result.ServerTime > TimeSpan.Zero);
        Assert.True(result.CriticalPath >= result.ServerTime);
        Assert.Empty(result.ClientAborts);
        Assert.Empty(result.Outcome.Rejections);
    }

    [Fact]
    public void Run_BytesPerClient_CoverKeysSharesVectorAndReveals()
    {
        const int n = 6, d = 1000;
        SecAggSimulationOptions options = new() { Session = SessionFactory.Create(n, 4, vectorLength: d), Seed = 1 };

        SecAggSimulationResult result = SecAggRoundSimulator.Run(options, Inputs(SessionFactory.RandomInputs(n, d, 1)));

        // 4 messages of 37 header bytes; two 32-byte X25519 keys; 5 shares of 8 + 120; 4 bytes per coordinate; 6 seed shares of 4 + 1 + 52.
        double expected = (4 * 37) + 64 + (5 * 128) + (4 * d) + (6 * 57);
        Assert.Equal(expected, result.MeanClientBytesSent);
        Assert.True(result.MeanClientBytesReceived > 0);
    }

    [Fact]
    public void Run_TooManyDropouts_FailsWithoutOutput()
    {
        SecAggSimulationOptions options = new()
        {
            Session = SessionFactory.Create(6, 4, vectorLength: 5),
            Seed = 2,
            Dropouts = new DropoutPlan { BeforeUnmasking = Set(1, 2, 3) },
        };

        SecAggSimulationResult result = SecAggRoundSimulator.Run(options, Inputs(SessionFactory.RandomInputs(6, 5, 2)));

        SecAggFailure failure = Assert.IsType<SecureAggregationOutcome.Failed>(result.Outcome).Failure;
        Assert.Equal((SecAggError.InsufficientSurvivors, SecAggStage.Unmasking), (failure.Error, failure.Stage));
    }

    [Fact]
    public void Run_MaliciousServerModeSparseGraph_ReturnsExactSum()
    {
        uint[][] inputs = SessionFactory.RandomInputs(12, 20, 7);
        SecAggSimulationOptions options = new()
        {
            Session = SessionFactory.Create(12, 4, vectorLength: 20, neighbours: 6, mode: SecAggSecurityMode.MaliciousServer),
            Seed = 5,
            Dropouts = new DropoutPlan { BeforeMasking = Set(12), BeforeConsistency = Set(11) },
        };

        SecAggSimulationResult result = SecAggRoundSimulator.Run(options, Inputs(inputs));

        SecureSum sum = Assert.IsType<SecureAggregationOutcome.Succeeded>(result.Outcome).Result;
        Assert.Equal(SessionFactory.PlainSum(inputs.Take(11), 20), sum.Sum);
        Assert.Contains(result.Phases, p => p.Stage == SecAggStage.ConsistencyCheck);
    }

    [Fact]
    public void Run_QuantisedFloatsThroughTheProtocol_DecodeWithinNSteps()
    {
        const int n = 8, d = 300;
        FixedPointCodec codec = new(new FixedPointOptions { ClipRange = 1.0, MaxSummands = n });
        Random values = new(5);
        float[][] updates = [.. Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (float)((values.NextDouble() * 2.4) - 1.2)).ToArray())];
        using DeterministicSecureRandom rounding = new(6);
        uint[][] encoded = [.. updates.Select(u =>
        {
            uint[] e = new uint[d];
            codec.Quantize(u, e, rounding);
            return e;
        })];
        SecAggSimulationOptions options = new() { Session = SessionFactory.Create(n, 5, vectorLength: d), Seed = 7 };

        SecAggSimulationResult result = SecAggRoundSimulator.Run(options, Inputs(encoded));
        double[] decoded = new double[d];
        codec.DecodeSum(Assert.IsType<SecureAggregationOutcome.Succeeded>(result.Outcome).Result.Sum, decoded);

        for (int j = 0; j < d; j++)
        {
            double expected = updates.Sum(u => Math.Clamp(u[j], -1.0, 1.0));
            Assert.True(Math.Abs(decoded[j] - expected) <= n * codec.Step, $"coordinate {j}");
        }
    }

    [Fact]
    public void Run_InputCountMismatch_Throws()
    {
        SecAggSimulationOptions options = new() { Session = SessionFactory.Create(4, 3, vectorLength: 5) };

        Assert.Throws<ArgumentException>(() => SecAggRoundSimulator.Run(options, Inputs(SessionFactory.RandomInputs(3, 5, 1))));
        Assert.Throws<ArgumentException>(() => SecAggRoundSimulator.Run(options, Inputs(SessionFactory.RandomInputs(4, 6, 1))));
    }

    [Fact]
    public void MaskThroughputProbe_Measure_ReportsBothRates()
    {
        MaskThroughput throughput = MaskThroughputProbe.Measure(20_000, TimeSpan.FromMilliseconds(20));

        Assert.True(throughput.MaskBytesPerSecond > 0);
        Assert.True(throughput.CipherBytesPerSecond > 0);
        Assert.InRange(throughput.Efficiency, 0.05, 20);
    }
}
