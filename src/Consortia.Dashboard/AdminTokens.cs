using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Consortia.Dashboard;

/// <summary>Admin tokens for dashboards that have no <c>admin.token</c> file (a <c>simulate --serve</c> run).</summary>
public static class AdminTokens
{
    /// <summary>A fresh token: 256 random bits, base64url (as <c>admin.token</c>).</summary>
    /// <returns>The token.</returns>
    public static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>A check that accepts exactly <paramref name="token"/>, comparing SHA-256 digests in fixed time (its time does not depend on the guess).</summary>
    /// <param name="token">The right token.</param>
    /// <returns>The check.</returns>
    public static Func<string, bool> Matching(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        byte[] expected = SHA256.HashData(Encoding.UTF8.GetBytes(token.Trim()));
        return presented => presented is not null
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented.Trim())), expected);
    }
}
