using System.Collections.Frozen;
using System.Security.Cryptography;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Federation.Strategies.Cyclic;
using Consortia.Federation.Strategies.FedAvgM;
using Consortia.Federation.Strategies.FedOpt;
using Consortia.Federation.Strategies.Scaffold;
using Consortia.Learning;

namespace Consortia.Federation.Jobs.Store;

/// <summary>
/// Versioned binary encoding of every <see cref="StrategyState"/> and of <see cref="ParameterVector"/> for checkpoints.
/// </summary>
/// <remarks>
/// <para>
/// A state blob is <c>"CSST" | format version (u16) | type tag (u16 length + UTF-8) | payload length (u32) | payload |
/// SHA-256 of everything before it (32 bytes)</c>; a vector blob is <c>"CSPV" | format version (u16) | vector |
/// SHA-256</c>. A vector is its layout (segment count, then each segment's name and shape in storage order) followed by
/// its float32 values, little-endian, bit for bit (NaN payloads and −0 survive). All integers are little-endian.
/// Decoding checks the magic, the version, the hash, the tag and that the payload is consumed exactly, and fails with
/// <see cref="InvalidDataException"/> otherwise.
/// </para>
/// <para>
/// Adding a state type is one line in <see cref="s_entries"/>: a new tag, a writer and a reader. Encoding a state type
/// without an entry throws <see cref="NotSupportedException"/> naming it, so a new strategy cannot run unsaved.
/// </para>
/// </remarks>
public static class StrategyStateCodec
{
    /// <summary>The format version written by this build.</summary>
    public const ushort FormatVersion = 1;

    private const int HashLength = 32;
    private static ReadOnlySpan<byte> StateMagic => "CSST"u8;
    private static ReadOnlySpan<byte> VectorMagic => "CSPV"u8;

    /// <summary>One entry per state type: its tag (stored, never change it), its writer and its reader.</summary>
    private static readonly Entry[] s_entries =
    [
        Entry.For<NoStrategyState>("none", static (_, _) => { }, static _ => NoStrategyState.Instance),
        Entry.For<FedOptState>("fedopt", static (w, s) => { w.Floats(s.FirstMoment); w.Floats(s.SecondMoment); }, static r => new FedOptState(r.Floats(), r.Floats())),
        Entry.For<FedAvgMState>("fedavgm", static (w, s) => w.Floats(s.Velocity), static r => new FedAvgMState(r.Floats())),
        Entry.For<ScaffoldState>("scaffold", static (w, s) => w.Vector(s.ControlVariate), static r => new ScaffoldState(r.Vector())),
        Entry.For<CyclicState>("cyclic", static (w, s) => w.Ints(s.Order), static r => new CyclicState(r.Ints())),
        Entry.For<ClientDpState>("client-dp", static (w, s) => { w.Nested(Encode(s.Inner)); w.Double(s.ClipNorm); }, static r => new ClientDpState(Decode(r.Nested()), r.Double())),
    ];

    private static readonly FrozenDictionary<Type, Entry> s_byType = s_entries.ToFrozenDictionary(e => e.Type);
    private static readonly FrozenDictionary<string, Entry> s_byTag = s_entries.ToFrozenDictionary(e => e.Tag, StringComparer.Ordinal);

    /// <summary>The tags of every state type the codec knows.</summary>
    public static IReadOnlyCollection<string> KnownTags => s_byTag.Keys;

    /// <summary>The stored tag of <paramref name="state"/>'s type.</summary>
    /// <param name="state">A state.</param>
    /// <returns>Its tag, e.g. <c>fedopt</c>.</returns>
    /// <exception cref="NotSupportedException">The codec has no entry for the state's type.</exception>
    public static string TagOf(StrategyState state) => EntryOf(state).Tag;

    /// <summary>Encodes a strategy state.</summary>
    /// <param name="state">The state.</param>
    /// <returns>The blob.</returns>
    /// <exception cref="NotSupportedException">The codec has no entry for the state's type.</exception>
    public static byte[] Encode(StrategyState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Entry entry = EntryOf(state);
        CodecWriter payload = new();
        entry.Write(payload, state);
        CodecWriter writer = new();
        writer.Bytes(StateMagic);
        writer.UInt16(FormatVersion);
        writer.String(entry.Tag);
        writer.UInt32((uint)payload.Length);
        writer.Bytes(payload.Written);
        return Seal(writer);
    }

    /// <summary>Decodes a strategy state.</summary>
    /// <param name="blob">A blob written by <see cref="Encode"/>.</param>
    /// <returns>The state.</returns>
    /// <exception cref="InvalidDataException">The blob is truncated, altered, of a newer format or of an unknown state type.</exception>
    public static StrategyState Decode(ReadOnlySpan<byte> blob)
    {
        CodecReader reader = Open(blob, StateMagic, "strategy state");
        string tag = reader.String();
        if (!s_byTag.TryGetValue(tag, out Entry? entry))
        {
            throw new InvalidDataException($"Unknown strategy state type '{tag}' (this build knows: {string.Join(", ", KnownTags)}).");
        }

        uint length = reader.UInt32();
        if (length != reader.Remaining)
        {
            throw new InvalidDataException($"The '{tag}' state payload claims {length} bytes but {reader.Remaining} are stored.");
        }

        StrategyState state = entry.Read(reader);
        if (reader.Remaining != 0)
        {
            throw new InvalidDataException($"The '{tag}' state payload has {reader.Remaining} unread bytes.");
        }

        return state;
    }

    /// <summary>Encodes a parameter vector with its layout.</summary>
    /// <param name="vector">The vector.</param>
    /// <returns>The blob.</returns>
    public static byte[] EncodeVector(ParameterVector vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        CodecWriter writer = new();
        writer.Bytes(VectorMagic);
        writer.UInt16(FormatVersion);
        writer.Vector(vector);
        return Seal(writer);
    }

    /// <summary>Decodes a parameter vector.</summary>
    /// <param name="blob">A blob written by <see cref="EncodeVector"/>.</param>
    /// <returns>The vector.</returns>
    /// <exception cref="InvalidDataException">The blob is truncated, altered or of a newer format.</exception>
    public static ParameterVector DecodeVector(ReadOnlySpan<byte> blob)
    {
        CodecReader reader = Open(blob, VectorMagic, "parameter vector");
        ParameterVector vector = reader.Vector();
        if (reader.Remaining != 0)
        {
            throw new InvalidDataException($"The parameter vector blob has {reader.Remaining} unread bytes.");
        }

        return vector;
    }

    private static Entry EntryOf(StrategyState state) =>
        s_byType.TryGetValue(state.GetType(), out Entry? entry)
            ? entry
            : throw new NotSupportedException($"The checkpoint codec has no entry for strategy state type {state.GetType().FullName}; add one line to StrategyStateCodec's entry table.");

    private static byte[] Seal(CodecWriter writer)
    {
        byte[] blob = new byte[writer.Length + HashLength];
        writer.Written.CopyTo(blob);
        SHA256.HashData(writer.Written, blob.AsSpan(writer.Length));
        return blob;
    }

    /// <summary>Checks magic, hash and version; returns a reader over the body (after the version, before the hash).</summary>
    private static CodecReader Open(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> magic, string what)
    {
        if (blob.Length < magic.Length + 2 + HashLength)
        {
            throw new InvalidDataException($"The {what} blob is truncated ({blob.Length} bytes).");
        }

        if (!blob[..magic.Length].SequenceEqual(magic))
        {
            throw new InvalidDataException($"The blob is not a {what} (wrong magic).");
        }

        ReadOnlySpan<byte> body = blob[..^HashLength];
        Span<byte> hash = stackalloc byte[HashLength];
        SHA256.HashData(body, hash);
        if (!CryptographicOperations.FixedTimeEquals(hash, blob[^HashLength..]))
        {
            throw new InvalidDataException($"The {what} blob fails its SHA-256 check (altered or truncated).");
        }

        CodecReader reader = new(body.ToArray());
        reader.Bytes(magic.Length);
        ushort version = reader.UInt16();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"The {what} blob has format version {version}; this build reads version {FormatVersion}.");
        }

        return reader;
    }

    private sealed record Entry(Type Type, string Tag, Action<CodecWriter, StrategyState> Write, Func<CodecReader, StrategyState> Read)
    {
        public static Entry For<T>(string tag, Action<CodecWriter, T> write, Func<CodecReader, T> read)
            where T : StrategyState =>
            new(typeof(T), tag, (w, s) => write(w, (T)s), r => read(r));
    }
}
