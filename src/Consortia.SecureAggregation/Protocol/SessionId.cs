using System.Buffers.Binary;

namespace Consortia.SecureAggregation.Protocol;

/// <summary>
/// The 32-byte session identifier SessionId0 = SHA-256 of the canonical session options
/// (<see cref="SecAggSessionOptions.ComputeSessionId"/>). It salts every key derivation and is in every
/// AEAD associated data, signature and message, so nothing from one session is valid in another.
/// </summary>
public readonly record struct SessionId
{
    /// <summary>The length of a session id in bytes.</summary>
    public const int Length = 32;

    private readonly ulong _part0;
    private readonly ulong _part1;
    private readonly ulong _part2;
    private readonly ulong _part3;

    private SessionId(ulong part0, ulong part1, ulong part2, ulong part3)
    {
        _part0 = part0;
        _part1 = part1;
        _part2 = part2;
        _part3 = part3;
    }

    /// <summary>Creates a session id from its 32 bytes.</summary>
    /// <param name="bytes">Exactly 32 bytes.</param>
    /// <returns>The session id.</returns>
    /// <exception cref="ArgumentException">The span is not 32 bytes long.</exception>
    public static SessionId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"A session id is {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }

        return new SessionId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    /// <summary>Writes the 32 bytes of the id.</summary>
    /// <param name="destination">At least 32 bytes.</param>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _part0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _part1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _part2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _part3);
    }

    /// <summary>Returns the 32 bytes of the id.</summary>
    /// <returns>A new array.</returns>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>Lower-case hexadecimal form.</summary>
    /// <returns>64 hexadecimal characters.</returns>
    public override string ToString() => Convert.ToHexStringLower(ToArray());
}
