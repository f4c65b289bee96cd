using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Masking;

namespace Consortia.SecureAggregation.Tests.Masking;

public sealed class AesCtrMaskExpanderTests
{
    private static readonly byte[] ReferenceKey = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    [Fact]
    public void Expand_ReferenceKey_MatchesReferenceElements()
    {
        uint[] mask = new uint[8];
        using AesCtrMaskExpander expander = new();

        expander.Expand(ReferenceKey, mask);

        Assert.Equal([3053490418u, 3500099882u, 1788539817u, 2155294429u, 2926992880u, 3852450122u, 832304806u, 1026998856u], mask);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4099)]
    [InlineData(32768)]
    [InlineData(32769)]
    [InlineData(100_003)]
    public void Apply_AnyLength_AddsTheLittleEndianKeystreamWords(int length)
    {
        byte[] keystream = new byte[length * 4];
        AesCtr.Generate(ReferenceKey, keystream);
        uint[] vector = [.. Enumerable.Range(0, length).Select(i => (uint)(i * 2654435761u))];
        uint[] expected = [.. vector.Select((v, i) => unchecked(v + BitConverter.ToUInt32(keystream, i * 4)))];
        using AesCtrMaskExpander expander = new();

        expander.Apply(ReferenceKey, vector, MaskDirection.Add);

        Assert.Equal(expected, vector);
    }

    [Fact]
    public void Apply_AddThenSubtract_RestoresTheVector()
    {
        uint[] original = [.. Enumerable.Range(0, 5000).Select(i => uint.MaxValue - (uint)i)];
        uint[] vector = (uint[])original.Clone();
        using AesCtrMaskExpander expander = new();

        expander.Apply(ReferenceKey, vector, MaskDirection.Add);
        Assert.NotEqual(original, vector);
        expander.Apply(ReferenceKey, vector, MaskDirection.Subtract);

        Assert.Equal(original, vector);
    }

    [Fact]
    public void Apply_ShortThenLongVector_ReusesCountersCorrectly()
    {
        using AesCtrMaskExpander expander = new();
        uint[] shortMask = new uint[10];
        uint[] longMask = new uint[70_000];
        uint[] freshLong = new uint[70_000];

        expander.Expand(ReferenceKey, shortMask);
        expander.Expand(ReferenceKey, longMask);
        using AesCtrMaskExpander fresh = new();
        fresh.Expand(ReferenceKey, freshLong);

        Assert.Equal(freshLong, longMask);
        Assert.Equal(freshLong[..10], shortMask);
    }

    [Fact]
    public void Apply_KeyOfWrongLength_Throws()
    {
        using AesCtrMaskExpander expander = new();

        Assert.Throws<ArgumentException>(() => expander.Apply(new byte[16], new uint[4], MaskDirection.Add));
    }

    [Fact]
    public void RingArithmetic_AddAndSubtract_WrapModulo2To32()
    {
        uint[] target = [uint.MaxValue, 0, 5, 1u << 31, 7, 8, 9, 10, 11];
        uint[] values = [2, 1, uint.MaxValue, 1u << 31, 0, 0, 0, 0, 1];

        RingArithmetic.AddInPlace(target, values);
        Assert.Equal([1u, 1, 4, 0, 7, 8, 9, 10, 12], target);
        RingArithmetic.SubtractInPlace(target, values);

        Assert.Equal([uint.MaxValue, 0, 5, 1u << 31, 7, 8, 9, 10, 11], target);
    }
}
