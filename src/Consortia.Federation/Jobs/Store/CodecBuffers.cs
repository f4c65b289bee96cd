using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Consortia.Learning;

namespace Consortia.Federation.Jobs.Store;

/// <summary>Appends little-endian primitives to a growing buffer (the checkpoint codec's writer).</summary>
internal sealed class CodecWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public void Bytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void Byte(byte value) => _buffer.Write([value]);

    /// <summary>A length-prefixed blob (a wrapped strategy's own sealed state).</summary>
    public void Nested(ReadOnlySpan<byte> bytes)
    {
        UInt32((uint)bytes.Length);
        Bytes(bytes);
    }

    /// <summary>A double, bit-exact (IEEE-754 little-endian).</summary>
    public void Double(double value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        Bytes(bytes);
    }

    public void UInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void Int32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void UInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void String(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"A string of {bytes.Length} UTF-8 bytes is too long for the checkpoint format (at most {ushort.MaxValue}).", nameof(value));
        }

        UInt16((ushort)bytes.Length);
        Bytes(bytes);
    }

    /// <summary>A length-prefixed float32 array, little-endian, bit for bit (NaN payloads and −0 kept).</summary>
    public void Floats(ReadOnlySpan<float> values)
    {
        Int32(values.Length);
        Span<byte> target = _buffer.GetSpan(values.Length * sizeof(float));
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(target);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(target[(i * sizeof(float))..], values[i]);
            }
        }

        _buffer.Advance(values.Length * sizeof(float));
    }

    public void Ints(ReadOnlySpan<int> values)
    {
        Int32(values.Length);
        foreach (int v in values)
        {
            Int32(v);
        }
    }

    /// <summary>A parameter vector: its layout (segment names and shapes in storage order) and its values.</summary>
    public void Vector(ParameterVector vector)
    {
        Int32(vector.Layout.Segments.Count);
        foreach (ParameterSegment segment in vector.Layout.Segments)
        {
            String(segment.Name);
            Int32(segment.Shape.Length);
            foreach (int d in segment.Shape)
            {
                Int32(d);
            }
        }

        Floats(vector.Values);
    }
}

/// <summary>Reads what <see cref="CodecWriter"/> wrote; every read is bounds-checked and fails with <see cref="InvalidDataException"/>.</summary>
internal sealed class CodecReader(ReadOnlyMemory<byte> data)
{
    private readonly ReadOnlyMemory<byte> _data = data;
    private int _position;

    public int Position => _position;

    public int Remaining => _data.Length - _position;

    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new InvalidDataException($"Truncated: {count} bytes needed at offset {_position}, {Remaining} left.");
        }

        ReadOnlySpan<byte> slice = _data.Span.Slice(_position, count);
        _position += count;
        return slice;
    }

    public byte Byte() => Bytes(1)[0];

    public ReadOnlySpan<byte> Nested() => Bytes(checked((int)UInt32()));

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Bytes(8));

    public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

    public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

    public string String()
    {
        ushort length = UInt16();
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes(length));
        }
        catch (DecoderFallbackException error)
        {
            throw new InvalidDataException($"A string before offset {_position} is not valid UTF-8.", error);
        }
    }

    private int Count(int elementSize)
    {
        int count = Int32();
        if (count < 0 || (long)count * elementSize > Remaining)
        {
            throw new InvalidDataException($"An array of {count} elements at offset {_position - 4} does not fit in the {Remaining} bytes left.");
        }

        return count;
    }

    public float[] Floats()
    {
        float[] values = new float[Count(sizeof(float))];
        ReadOnlySpan<byte> bytes = Bytes(values.Length * sizeof(float));
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
            }
        }

        return values;
    }

    public int[] Ints()
    {
        int[] values = new int[Count(sizeof(int))];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Int32();
        }

        return values;
    }

    public ParameterVector Vector()
    {
        int segments = Count(2 + 4);
        var parts = new (string Name, int[] Shape)[segments];
        for (int s = 0; s < segments; s++)
        {
            string name = String();
            parts[s] = (name, Ints());
        }

        ParameterLayout layout;
        try
        {
            layout = ParameterLayout.Create(parts);
        }
        catch (Exception error) when (error is ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"The stored parameter layout is invalid: {error.Message}", error);
        }

        float[] values = Floats();
        if (values.Length != layout.Length)
        {
            throw new InvalidDataException($"The stored vector has {values.Length} values but its layout ({layout}) needs {layout.Length}.");
        }

        return new ParameterVector(layout, values);
    }
}
