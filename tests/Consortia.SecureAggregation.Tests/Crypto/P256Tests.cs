using System.Security.Cryptography;

using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Tests.Crypto;

public sealed class P256Tests
{
    [Fact]
    public void TryImportScalar_DOnly_PlatformComputesTheSamePublicPoint()
    {
        using ECDiffieHellman generated = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        byte[] scalar = new byte[32];
        P256.ExportScalar(generated, scalar);

        bool imported = P256.TryImportScalar(scalar, out ECDiffieHellman? fromScalar);

        Assert.True(imported);
        using (fromScalar)
        {
            Assert.Equal(P256.ExportPublicKey(generated), P256.ExportPublicKey(fromScalar!));
        }
    }

    [Fact]
    public void GenerateKeyAgreementKey_SameSeed_GivesSameKeyAndAgreementIsSymmetric()
    {
        using DeterministicSecureRandom first = new(1), second = new(1), other = new(2);
        using ECDiffieHellman a = P256.GenerateKeyAgreementKey(first);
        using ECDiffieHellman aAgain = P256.GenerateKeyAgreementKey(second);
        using ECDiffieHellman b = P256.GenerateKeyAgreementKey(other);
        Assert.Equal(P256.ExportPublicKey(a), P256.ExportPublicKey(aAgain));
        Assert.True(P256PublicKey.TryImport(P256.ExportPublicKey(a), out P256PublicKey? aPublic));
        Assert.True(P256PublicKey.TryImport(P256.ExportPublicKey(b), out P256PublicKey? bPublic));
        byte[] ab = new byte[32], ba = new byte[32];

        using (aPublic)
        using (bPublic)
        {
            P256.Agree(a, bPublic.Agreement, ab);
            P256.Agree(b, aPublic.Agreement, ba);
        }

        Assert.Equal(ab, ba);
    }

    [Fact]
    public void TryImportPublicKey_PointOffTheCurve_IsRejected()
    {
        using DeterministicSecureRandom random = new(3);
        using ECDiffieHellman key = P256.GenerateKeyAgreementKey(random);
        byte[] encoded = P256.ExportPublicKey(key);
        encoded[^1] ^= 1;

        bool imported = P256.TryImportPublicKey(encoded, out ECDiffieHellman? point);

        Assert.False(imported);
        Assert.Null(point);
    }

    [Theory]
    [InlineData(64, 0x04)]
    [InlineData(65, 0x02)]
    [InlineData(66, 0x04)]
    public void TryImportPublicKey_WrongEncoding_IsRejected(int length, byte prefix)
    {
        byte[] encoded = new byte[length];
        encoded[0] = prefix;

        Assert.False(P256.TryImportPublicKey(encoded, out _));
    }

    [Fact]
    public void IsValidScalar_ZeroOrderAndAbove_AreInvalid()
    {
        byte[] order = Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
        byte[] belowOrder = (byte[])order.Clone();
        belowOrder[^1]--;

        Assert.False(P256.IsValidScalar(new byte[32]));
        Assert.False(P256.IsValidScalar(order));
        Assert.True(P256.IsValidScalar(belowOrder));
        Assert.False(P256.IsValidScalar(new byte[31]));
    }
}
