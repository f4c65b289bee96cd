using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Consortia.Federation.Sites;

/// <summary>SHA-256 of exactly the bytes a site sends (little-endian values), for the audit ledgers' cross-check.</summary>
public static class UpdateHash
{
    /// <summary>Hashes float values (a plain weighted update).</summary>
    /// <param name="values">The values.</param>
    /// <returns>Lower-case hex SHA-256.</returns>
    public static string Of(ReadOnlySpan<float> values) => Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values)));

    /// <summary>Hashes ring elements (a masked input).</summary>
    /// <param name="values">The values.</param>
    /// <returns>Lower-case hex SHA-256.</returns>
    public static string Of(ReadOnlySpan<uint> values) => Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values)));
}
