using System.Security.Cryptography;
using System.Text;

namespace Consortia.Governance.Audit;

/// <summary>SHA-256 values as 64 lowercase hex digits, the form used in ledger payloads and reports.</summary>
public static class Sha256Hex
{
    /// <summary>Hashes bytes.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>64 lowercase hex digits.</returns>
    public static string Of(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Hashes the UTF-8 encoding of a string.</summary>
    /// <param name="text">The text.</param>
    /// <returns>64 lowercase hex digits.</returns>
    public static string OfText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Of(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Whether <paramref name="value"/> is 64 lowercase hex digits.</summary>
    /// <param name="value">The text to check.</param>
    /// <returns><see langword="true"/> when well-formed.</returns>
    public static bool IsValid(string? value)
    {
        if (value is null || value.Length != 64)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
