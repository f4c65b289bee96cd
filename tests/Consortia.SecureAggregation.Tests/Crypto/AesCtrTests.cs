using System.Buffers.Binary;
using System.Security.Cryptography;

using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Tests.Crypto;

public sealed class AesCtrTests
{
    [Fact]
    public void Generate_NistSp80038aF55_FirstBlockMatches()
    {
        byte[] key = Convert.FromHexString("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        UInt128 counter = BinaryPrimitives.ReadUInt128BigEndian(Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"));
        byte[] plaintext = Convert.FromHexString("6bc1bee22e409f96e93d7e117393172a");
        byte[] keystream = new byte[16];
        using Aes aes = Aes.Create();
        aes.SetKey(key);

        AesCtr.Generate(aes, counter, keystream);

        byte[] ciphertext = [.. plaintext.Zip(keystream, (p, k) => (byte)(p ^ k))];
        Assert.Equal("601ec313775789a5b7a7f504bbf3d228", Convert.ToHexStringLower(ciphertext));
    }

    [Fact]
    public void Generate_ReferenceKeyZeroCounter_MatchesReferenceKeystream()
    {
        byte[] key = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        byte[] keystream = new byte[64];

        AesCtr.Generate(key, keystream);

        Assert.Equal(
            "f29000b62a499fd0a9f39a6add2e7780f05d76ae4ab99fe5a6f69b3148c2363d0ebcb5deb52c83bd08a8a935182c9199d24356532881602f809eb383c5ff5d56",
            Convert.ToHexStringLower(keystream));
    }

    [Fact]
    public void Generate_AcrossChunkBoundary_EqualsOneContiguousKeystream()
    {
        byte[] key = new byte[32];
        key[5] = 9;
        int length = AesCtr.ChunkBytes + 40;
        byte[] whole = new byte[length];
        byte[] expected = new byte[AesCtr.RoundUpToBlock(length)];
        byte[] counters = new byte[expected.Length];
        AesCtr.WriteCounterBlocks(counters, UInt128.Zero);
        using Aes aes = Aes.Create();
        aes.SetKey(key);
        aes.EncryptEcb(counters, expected, PaddingMode.None);

        AesCtr.Generate(key, whole);

        Assert.Equal(expected.AsSpan(0, length).ToArray(), whole);
    }

    [Fact]
    public void WriteCounterBlocks_CarryAcross64Bits_IsBigEndian128()
    {
        byte[] blocks = new byte[32];

        AesCtr.WriteCounterBlocks(blocks, ulong.MaxValue);

        Assert.Equal("0000000000000000ffffffffffffffff00000000000000010000000000000000", Convert.ToHexStringLower(blocks));
    }
}
