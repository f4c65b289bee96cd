using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Consortia.Network.Identity;

/// <summary>
/// A one-time enrollment token: <c>ctk1.&lt;site&gt;.&lt;secret&gt;.&lt;ca-pin&gt;</c>, where the secret is 256
/// random bits in base64url and the CA pin is the lowercase hex SHA-256 of the consortium CA's
/// SubjectPublicKeyInfo (<see cref="ConsortiumPki.CaPin"/>). The coordinator stores only the SHA-256 of the
/// secret; the node uses the pin to authenticate the coordinator before sending the token.
/// </summary>
/// <param name="Site">The site the token enrolls.</param>
/// <param name="Secret">The secret (base64url, 43 characters).</param>
/// <param name="CaPin">The CA pin (64 lowercase hex digits).</param>
public sealed record EnrollmentToken(string Site, string Secret, string CaPin)
{
    /// <summary>The prefix naming the token format's version.</summary>
    public const string Prefix = "ctk1";

    /// <summary>Makes a fresh token for <paramref name="site"/>.</summary>
    public static EnrollmentToken Create(string site, string caPin) =>
        new(SiteNames.Validate(site), Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)), caPin);

    /// <summary>The hash the coordinator stores instead of the secret (lowercase hex SHA-256 of its UTF-8 text).</summary>
    public string SecretHash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Secret)));

    /// <summary>Parses a token.</summary>
    /// <exception cref="IdentityException">The text is not a well-formed token.</exception>
    public static EnrollmentToken Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().Split('.');
        if (parts.Length != 4 || parts[0] != Prefix)
        {
            throw new IdentityException($"malformed enrollment token: expected {Prefix}.<site>.<secret>.<ca-sha256>");
        }

        if (!SiteNames.IsValid(parts[1]))
        {
            throw new IdentityException("malformed enrollment token: invalid site name");
        }

        if (parts[2].Length != 43 || !Base64Url.IsValid(parts[2], out int decoded) || decoded != 32)
        {
            throw new IdentityException("malformed enrollment token: the secret must be 32 bytes in base64url");
        }

        if (parts[3].Length != 64 || !parts[3].All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
        {
            throw new IdentityException("malformed enrollment token: the CA pin must be 64 lowercase hex digits");
        }

        return new EnrollmentToken(parts[1], parts[2], parts[3]);
    }

    /// <summary>The token's text form.</summary>
    public override string ToString() => $"{Prefix}.{Site}.{Secret}.{CaPin}";
}
