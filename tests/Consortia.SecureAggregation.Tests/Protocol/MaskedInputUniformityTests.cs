using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Protocol;

public sealed class MaskedInputUniformityTests
{
    private const int Dimension = 16_384; // 65,536 bytes: 256 expected per byte value

    // Upper 1 − 10^−6 quantile of chi-square with 255 degrees of freedom (Wilson–Hilferty): about 383.
    private static readonly double CriticalValue = ChiSquareQuantile(255, 4.753);

    [Theory]
    [InlineData(0u)]
    [InlineData(0x8000_0000u)]
    public void MaskedInput_FixedInput_BytesAreUniform(uint value)
    {
        uint[] masked = MaskedVector(value, seed: 1);

        double chiSquare = ChiSquare(ByteHistogram(masked));

        Assert.True(chiSquare < CriticalValue, $"chi-square {chiSquare:F1} exceeds {CriticalValue:F1}");
    }

    [Fact]
    public void MaskedInput_TwoDifferentInputs_HaveIndistinguishableByteDistributions()
    {
        long[] zeros = ByteHistogram(MaskedVector(0u, seed: 2));
        long[] halves = ByteHistogram(MaskedVector(0x8000_0000u, seed: 3));

        double chiSquare = 0;
        for (int b = 0; b < 256; b++)
        {
            double total = zeros[b] + halves[b];
            double expected = total / 2;
            chiSquare += ((zeros[b] - expected) * (zeros[b] - expected) / expected) + ((halves[b] - expected) * (halves[b] - expected) / expected);
        }

        Assert.True(chiSquare < CriticalValue, $"two-sample chi-square {chiSquare:F1} exceeds {CriticalValue:F1}");
    }

    [Fact]
    public void MaskedInput_SameInputInTwoSessions_IsUnrelated()
    {
        uint[] first = MaskedVector(0u, seed: 4, round: 1);
        uint[] second = MaskedVector(0u, seed: 4, round: 2);

        int equal = first.Zip(second).Count(pair => pair.First == pair.Second);

        Assert.True(equal < 3, $"{equal} equal coordinates");
    }

    [Fact]
    public void MaskedInput_MaskedMinusInput_IsNotZeroAnywhereNoticeable()
    {
        uint[] masked = MaskedVector(12345u, seed: 5);

        Assert.True(masked.Count(v => v == 12345u) < 3);
    }

    private static uint[] MaskedVector(uint value, ulong seed, long round = 1)
    {
        uint[][] inputs = [.. Enumerable.Range(0, 3).Select(_ => Enumerable.Repeat(value, Dimension).ToArray())];
        using ProtocolHarness harness = new(SessionFactory.Create(3, 2, Dimension, round: round), seed, inputs);
        ServerStep.Send send = harness.RunTo(SecAggStage.CollectMaskedInputs);
        MaskedInput masked = Assert.IsType<MaskedInput>(Assert.IsType<ClientStep.Reply>(harness.Handle(ProtocolHarness.For<ShareDelivery>(send, 1))).Message);
        return masked.Vector.ToArray();
    }

    private static long[] ByteHistogram(uint[] vector)
    {
        long[] counts = new long[256];
        foreach (uint v in vector)
        {
            counts[v & 0xFF]++;
            counts[(v >> 8) & 0xFF]++;
            counts[(v >> 16) & 0xFF]++;
            counts[v >> 24]++;
        }

        return counts;
    }

    private static double ChiSquare(long[] counts)
    {
        double expected = counts.Sum() / 256.0;
        return counts.Sum(c => (c - expected) * (c - expected) / expected);
    }

    private static double ChiSquareQuantile(int degrees, double z)
    {
        double a = 2.0 / (9.0 * degrees);
        return degrees * Math.Pow(1 - a + (z * Math.Sqrt(a)), 3);
    }
}
