using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Masking;

namespace Consortia.SecureAggregation.Tests.Crypto;

public sealed class KeyDerivationTests
{
    private static readonly byte[] Salt = [.. Enumerable.Repeat((byte)0x22, 32)];

    [Fact]
    public void PairwiseMaskKey_ReferenceInputs_MatchesReferenceKeyAndMask()
    {
        byte[] agreement = [.. Enumerable.Repeat((byte)0x11, 32)];
        byte[] key = new byte[32];
        uint[] mask = new uint[4];

        KeyDerivation.PairwiseMaskKey(agreement, Salt, 3, 7, key);
        using AesCtrMaskExpander expander = new();
        expander.Expand(key, mask);

        Assert.Equal("085948fb48b9fd3926696f53ad9c5c35ad7d4e8e0b60ff9d41bf23e60ecba67c", Convert.ToHexStringLower(key));
        Assert.Equal([1426782151u, 227781893u, 2145902805u, 3569715137u], mask);
    }

    [Fact]
    public void PairwiseMaskKey_ArgumentOrder_IsSymmetric()
    {
        byte[] agreement = [.. Enumerable.Repeat((byte)0x11, 32)];
        byte[] forward = new byte[32], backward = new byte[32];

        KeyDerivation.PairwiseMaskKey(agreement, Salt, 3, 7, forward);
        KeyDerivation.PairwiseMaskKey(agreement, Salt, 7, 3, backward);

        Assert.Equal(forward, backward);
    }

    [Fact]
    public void SelfMaskKey_ReferenceInputs_MatchesReferenceKey()
    {
        byte[] seed = [.. Enumerable.Repeat((byte)0x33, 32)];
        byte[] key = new byte[32];

        KeyDerivation.SelfMaskKey(seed, Salt, 3, key);

        Assert.Equal("3c5072e331753446874399abf2fbd8ebb4412ad1f9b83188363a716b5e01cdff", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void EncryptionKey_DiffersFromMaskKeyForSameAgreement()
    {
        byte[] agreement = [.. Enumerable.Repeat((byte)0x11, 32)];
        byte[] encryption = new byte[32], mask = new byte[32];

        KeyDerivation.EncryptionKey(agreement, Salt, 3, 7, encryption);
        KeyDerivation.PairwiseMaskKey(agreement, Salt, 3, 7, mask);

        Assert.NotEqual(encryption, mask);
    }
}
