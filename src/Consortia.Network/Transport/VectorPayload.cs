using System.Runtime.InteropServices;
using Consortia.Learning;
using Consortia.Network.Protos;
using Google.Protobuf;

namespace Consortia.Network.Transport;

/// <summary>
/// The large vectors of one work item or reply, carried after its header as <see cref="Chunk"/> frames,
/// so that no protobuf message grows with the model (protobuf messages are limited to 2 GB).
/// </summary>
internal static class VectorPayload
{
    /// <summary>The largest chunk sent: small enough for gRPC's default 4 MiB message limit with room to spare.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>The longest vector accepted from the wire (the secure-aggregation limit, 2^28 values = 1 GiB).</summary>
    public const int MaxVectorLength = 1 << 28;

    /// <summary>Describes a parameter vector (its layout travels with it).</summary>
    public static VectorRef Describe(ParameterVector vector)
    {
        VectorRef reference = new() { Kind = VectorKind.Float32, Length = vector.Length };
        foreach (ParameterSegment segment in vector.Layout.Segments)
        {
            Segment wire = new() { Name = segment.Name };
            wire.Shape.AddRange(segment.Shape);
            reference.Segments.Add(wire);
        }

        return reference;
    }

    /// <summary>Describes a vector of ring elements.</summary>
    public static VectorRef Describe(ReadOnlyMemory<uint> vector) => new() { Kind = VectorKind.Uint32, Length = vector.Length };

    /// <summary>The bytes of a parameter vector, as they go on the wire.</summary>
    public static ReadOnlyMemory<byte> Bytes(ParameterVector vector) => AsBytes(vector.Memory);

    /// <summary>The bytes of a ring vector, as they go on the wire.</summary>
    public static ReadOnlyMemory<byte> Bytes(ReadOnlyMemory<uint> vector) => AsBytes(vector);

    /// <summary>Splits the payload into chunks of at most <see cref="ChunkBytes"/>.</summary>
    public static IEnumerable<Chunk> Chunks(string itemId, IReadOnlyList<ReadOnlyMemory<byte>> payload)
    {
        long offset = 0;
        foreach (ReadOnlyMemory<byte> part in payload)
        {
            for (int start = 0; start < part.Length; start += ChunkBytes)
            {
                ReadOnlyMemory<byte> slice = part.Slice(start, Math.Min(ChunkBytes, part.Length - start));
                // No copy: the payload arrays are private copies made by Bytes() and never written again.
                yield return new Chunk { ItemId = itemId, Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(slice) };
                offset += slice.Length;
            }
        }
    }

    /// <summary>The total payload size of the given vectors.</summary>
    public static long Size(IReadOnlyList<ReadOnlyMemory<byte>> payload) => payload.Sum(p => (long)p.Length);

    private static ReadOnlyMemory<byte> AsBytes<T>(ReadOnlyMemory<T> values)
        where T : unmanaged
    {
        // Copy once into a byte array (little-endian on every platform .NET runs on here).
        byte[] bytes = MemoryMarshal.AsBytes(values.Span).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The wire format is little-endian.");
        }

        return bytes;
    }
}

/// <summary>Reassembles the vectors a header announced from the chunks that follow it, checking everything.</summary>
internal sealed class PayloadAssembler
{
    private readonly string _itemId;
    private readonly IReadOnlyList<VectorRef> _vectors;
    private readonly byte[][] _buffers;
    private readonly long _total;
    private long _received;

    /// <summary>Prepares to receive the vectors <paramref name="vectors"/> of item <paramref name="itemId"/>.</summary>
    /// <exception cref="InvalidDataException">The header is inconsistent (sizes, kinds, lengths).</exception>
    public PayloadAssembler(string itemId, IReadOnlyList<VectorRef> vectors, long declaredBytes)
    {
        _itemId = itemId;
        _vectors = vectors;
        _buffers = new byte[vectors.Count][];
        long total = 0;
        for (int i = 0; i < vectors.Count; i++)
        {
            VectorRef v = vectors[i];
            if (v.Kind is not (VectorKind.Float32 or VectorKind.Uint32))
            {
                throw new InvalidDataException($"item {itemId}: vector {i} has no valid kind ({v.Kind}).");
            }

            if (v.Length < 0 || v.Length > VectorPayload.MaxVectorLength)
            {
                throw new InvalidDataException($"item {itemId}: vector {i} has length {v.Length}; expected 0..{VectorPayload.MaxVectorLength}.");
            }

            if (v.Kind == VectorKind.Float32)
            {
                long segments = 0;
                foreach (Segment s in v.Segments)
                {
                    long size = 1;
                    foreach (int d in s.Shape)
                    {
                        size = d > 0 ? size * d : throw new InvalidDataException($"item {itemId}: segment '{s.Name}' has a non-positive dimension.");
                        if (size > VectorPayload.MaxVectorLength)
                        {
                            throw new InvalidDataException($"item {itemId}: segment '{s.Name}' is too large.");
                        }
                    }

                    segments += size;
                }

                if (segments != v.Length)
                {
                    throw new InvalidDataException($"item {itemId}: vector {i} declares {v.Length} values but its segments hold {segments}.");
                }
            }

            total += 4L * v.Length;
        }

        if (total != declaredBytes)
        {
            throw new InvalidDataException($"item {itemId}: the header declares {declaredBytes} payload bytes but its vectors need {total}.");
        }

        _total = total;
    }

    /// <summary>Whether every byte has arrived.</summary>
    public bool IsComplete => _received == _total;

    /// <summary>Takes the next chunk (chunks arrive in order).</summary>
    /// <exception cref="InvalidDataException">Out of order, for another item, or beyond the declared size.</exception>
    public void Add(Chunk chunk)
    {
        if (!string.Equals(chunk.ItemId, _itemId, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"a chunk for item '{chunk.ItemId}' arrived while item '{_itemId}' was open.");
        }

        if (chunk.Offset != _received)
        {
            throw new InvalidDataException($"item {_itemId}: chunk at offset {chunk.Offset}, expected {_received}.");
        }

        if (chunk.Data.Length == 0 || _received + chunk.Data.Length > _total)
        {
            throw new InvalidDataException($"item {_itemId}: chunk of {chunk.Data.Length} bytes at {chunk.Offset} does not fit the declared {_total} bytes.");
        }

        ReadOnlySpan<byte> data = chunk.Data.Span;
        long start = 0;
        for (int i = 0; i < _vectors.Count && data.Length > 0; i++)
        {
            long size = 4L * _vectors[i].Length;
            long end = start + size;
            if (_received < end)
            {
                _buffers[i] ??= new byte[size];
                int into = (int)(_received - start);
                int take = (int)Math.Min(data.Length, end - _received);
                data[..take].CopyTo(_buffers[i].AsSpan(into));
                data = data[take..];
                _received += take;
            }

            start = end;
        }
    }

    /// <summary>The <paramref name="index"/>-th vector as parameters (float32 with its layout).</summary>
    public ParameterVector Parameters(int index)
    {
        VectorRef v = _vectors[index];
        if (v.Kind != VectorKind.Float32)
        {
            throw new InvalidDataException($"item {_itemId}: vector {index} should hold float32 parameters.");
        }

        try
        {
            ParameterLayout layout = ParameterLayout.Create([.. v.Segments.Select(s => (s.Name, s.Shape.ToArray()))]);
            return new ParameterVector(layout, MemoryMarshal.Cast<byte, float>(Buffer(index)));
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            // A layout the sender made up (a repeated name, a zero or negative dimension, sizes that overflow or do
            // not fit the bytes sent) is a protocol fault like any other malformed field, not a crash of the receiver.
            throw new InvalidDataException($"item {_itemId}: vector {index} has an invalid parameter layout: {e.Message}", e);
        }
    }

    /// <summary>The <paramref name="index"/>-th vector as ring elements.</summary>
    public uint[] RingElements(int index)
    {
        if (_vectors[index].Kind != VectorKind.Uint32)
        {
            throw new InvalidDataException($"item {_itemId}: vector {index} should hold uint32 ring elements.");
        }

        return MemoryMarshal.Cast<byte, uint>(Buffer(index)).ToArray();
    }

    private byte[] Buffer(int index) => _buffers[index] ?? [];
}
