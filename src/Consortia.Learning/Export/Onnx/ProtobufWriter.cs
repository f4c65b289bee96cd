using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Consortia.Learning.Export.Onnx;

/// <summary>
/// Writes the protocol-buffers wire format (varints, little-endian fixed values, length-delimited fields): the
/// handful of encodings an ONNX <c>ModelProto</c> needs, so that Learning depends on no serialisation library.
/// </summary>
/// <remarks>
/// Field numbers and wire types follow <c>onnx/onnx.proto</c> (proto2); nested messages are written into their own
/// writer and embedded with <see cref="WriteMessage"/>. See https://protobuf.dev/programming-guides/encoding/.
/// </remarks>
internal sealed class ProtobufWriter
{
    private const int Varint = 0;
    private const int LengthDelimited = 2;

    private readonly ArrayBufferWriter<byte> _buffer = new();

    /// <summary>An <c>int64</c>/<c>int32</c> field (negative values take ten bytes, as protobuf specifies).</summary>
    public ProtobufWriter WriteInt64(int field, long value)
    {
        WriteTag(field, Varint);
        WriteVarint(unchecked((ulong)value));
        return this;
    }

    /// <summary>A <c>string</c> field, UTF-8.</summary>
    public ProtobufWriter WriteString(int field, string value) => WriteBytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A <c>bytes</c> field.</summary>
    public ProtobufWriter WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>An embedded message field.</summary>
    public ProtobufWriter WriteMessage(int field, ProtobufWriter message) => WriteBytes(field, message.ToArray());

    /// <summary>Floats as little-endian IEEE 754 bytes (ONNX <c>TensorProto.raw_data</c>).</summary>
    public ProtobufWriter WriteFloatsAsBytes(int field, ReadOnlySpan<float> values)
    {
        byte[] raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        }

        return WriteBytes(field, raw);
    }

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private void WriteTag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        WriteByte((byte)value);
    }

    private void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }
}
