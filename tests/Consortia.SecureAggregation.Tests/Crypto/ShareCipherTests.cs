using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Tests.Crypto;

public sealed class ShareCipherTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 3))];
    private static readonly byte[] Session = [.. Enumerable.Repeat((byte)0x22, 32)];
    private static readonly byte[] Plaintext = [.. Enumerable.Range(0, 104).Select(i => (byte)i)];

    [Fact]
    public void TryDecrypt_SameBinding_RoundTrips()
    {
        byte[] ciphertext = ShareCipher.Encrypt(Key, Session, 3, 7, Plaintext);
        byte[] decrypted = new byte[Plaintext.Length];

        bool ok = ShareCipher.TryDecrypt(Key, Session, 3, 7, ciphertext, decrypted);

        Assert.True(ok);
        Assert.Equal(Plaintext, decrypted);
        Assert.Equal(Plaintext.Length + 16, ciphertext.Length);
    }

    [Theory]
    [InlineData(7, 3)] // the reverse direction
    [InlineData(3, 8)] // another recipient
    [InlineData(4, 7)] // another sender
    public void TryDecrypt_OtherSenderOrRecipient_Fails(int sender, int recipient)
    {
        byte[] ciphertext = ShareCipher.Encrypt(Key, Session, 3, 7, Plaintext);

        Assert.False(ShareCipher.TryDecrypt(Key, Session, sender, recipient, ciphertext, new byte[Plaintext.Length]));
    }

    [Fact]
    public void TryDecrypt_OtherSession_Fails()
    {
        byte[] ciphertext = ShareCipher.Encrypt(Key, Session, 3, 7, Plaintext);
        byte[] otherSession = (byte[])Session.Clone();
        otherSession[0] ^= 1;

        Assert.False(ShareCipher.TryDecrypt(Key, otherSession, 3, 7, ciphertext, new byte[Plaintext.Length]));
    }

    [Fact]
    public void TryDecrypt_FlippedBit_Fails()
    {
        byte[] ciphertext = ShareCipher.Encrypt(Key, Session, 3, 7, Plaintext);
        ciphertext[10] ^= 0x40;

        Assert.False(ShareCipher.TryDecrypt(Key, Session, 3, 7, ciphertext, new byte[Plaintext.Length]));
    }

    [Fact]
    public void TryDecrypt_WrongLength_Fails()
    {
        byte[] ciphertext = ShareCipher.Encrypt(Key, Session, 3, 7, Plaintext);

        Assert.False(ShareCipher.TryDecrypt(Key, Session, 3, 7, ciphertext.AsSpan(0, ciphertext.Length - 1), new byte[Plaintext.Length]));
    }
}
