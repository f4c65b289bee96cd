using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Tests.Crypto;

public sealed class DeterministicSecureRandomTests
{
    [Fact]
    public void Fill_SameSeedAnyChunking_GivesSameStream()
    {
        using DeterministicSecureRandom whole = new(42), pieces = new(42);
        byte[] expected = new byte[40_000];
        byte[] actual = new byte[40_000];

        whole.Fill(expected);
        int offset = 0;
        foreach (int size in new[] { 1, 15, 16_384, 3, 20_000, 3_597 })
        {
            pieces.Fill(actual.AsSpan(offset, size));
            offset += size;
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Derive_DifferentLabels_GiveDifferentStreamsIndependentOfParentPosition()
    {
        using DeterministicSecureRandom parent = new(42);
        using DeterministicSecureRandom first = parent.Derive(1);
        parent.Fill(new byte[100]);
        using DeterministicSecureRandom again = parent.Derive(1);
        using DeterministicSecureRandom second = parent.Derive(2);
        byte[] a = new byte[32], b = new byte[32], c = new byte[32];

        first.Fill(a);
        again.Fill(b);
        second.Fill(c);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void SystemSecureRandom_TwoFills_Differ()
    {
        byte[] a = new byte[32], b = new byte[32];

        SystemSecureRandom.Instance.Fill(a);
        SystemSecureRandom.Instance.Fill(b);

        Assert.NotEqual(a, b);
    }
}
