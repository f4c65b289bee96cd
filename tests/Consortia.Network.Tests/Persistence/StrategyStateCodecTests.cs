using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Federation.Strategies.Cyclic;
using Consortia.Federation.Strategies.FedAvgM;
using Consortia.Federation.Strategies.FedOpt;
using Consortia.Federation.Strategies.Scaffold;
using Consortia.Learning;
using Consortia.Federation.Jobs.Store;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Consortia.Network.Tests.Persistence;

public sealed class StrategyStateCodecTests
{
    /// <summary>Floats from arbitrary bit patterns: NaNs with payloads, ±0, subnormals, infinities.</summary>
    private static Gen<float[]> Floats(int maxLength) =>
        from length in Gen.Choose(0, maxLength)
        from bits in Gen.Choose(int.MinValue, int.MaxValue).ArrayOf(length)
        select bits.Select(BitConverter.Int32BitsToSingle).ToArray();

    private static Gen<ParameterVector> Vectors =>
        from count in Gen.Choose(1, 3)
        from names in Gen.Elements("w", "b", "layer.0/weight", "ünï", "").ArrayOf(count)
        from shapes in Gen.Choose(1, 3).SelectMany(rank => Gen.Choose(1, 4).ArrayOf(rank)).ArrayOf(count)
        let layout = ParameterLayout.Create([.. names.Select((n, i) => ($"{n}{i}", shapes[i]))])
        from bits in Gen.Choose(int.MinValue, int.MaxValue).ArrayOf(layout.Length)
        select new ParameterVector(layout, bits.Select(BitConverter.Int32BitsToSingle).ToArray());

    public static Arbitrary<StateSample> States() =>
        Gen.OneOf(
            Gen.Constant<StrategyState>(NoStrategyState.Instance),
            from m in Floats(40) from v in Floats(40) select (StrategyState)new FedOptState(m, v),
            Floats(40).Select(v => (StrategyState)new FedAvgMState(v)),
            Vectors.Select(c => (StrategyState)new ScaffoldState(c)),
            Gen.Choose(int.MinValue, int.MaxValue).ArrayOf().Select(o => (StrategyState)new CyclicState(o)),
            from m in Floats(20) from v in Floats(20) from clip in Gen.Choose(1, 1_000_000) select (StrategyState)new ClientDpState(new FedOptState(m, v), clip / 997.0))
        .Select(s => new StateSample(s))
        .ToArbitrary();

    [Property(MaxTest = 200, Replay = "(20261128,1)", Arbitrary = [typeof(StrategyStateCodecTests)])]
    public void Encode_ThenDecode_GivesTheSameStateBitForBit(StateSample sample)
    {
        byte[] blob = StrategyStateCodec.Encode(sample.State);
        StrategyState decoded = StrategyStateCodec.Decode(blob);

        Assert.Equal(sample.State.GetType(), decoded.GetType());
        Assert.Equal(StrategyStateCodec.TagOf(sample.State), StrategyStateCodec.TagOf(decoded));
        Assert.Equal(blob, StrategyStateCodec.Encode(decoded));
        switch ((sample.State, decoded))
        {
            case (FedOptState a, FedOptState b):
                Assert.True(Bits(a.FirstMoment).SequenceEqual(Bits(b.FirstMoment)) && Bits(a.SecondMoment).SequenceEqual(Bits(b.SecondMoment)));
                break;
            case (FedAvgMState a, FedAvgMState b):
                Assert.True(Bits(a.Velocity).SequenceEqual(Bits(b.Velocity)));
                break;
            case (ScaffoldState a, ScaffoldState b):
                Assert.True(a.ControlVariate.ContentEquals(b.ControlVariate));
                break;
            case (CyclicState a, CyclicState b):
                Assert.Equal(a.Order, b.Order);
                break;
            case (NoStrategyState, NoStrategyState):
                break;
            case (ClientDpState a, ClientDpState b):
                Assert.Equal(BitConverter.DoubleToInt64Bits(a.ClipNorm), BitConverter.DoubleToInt64Bits(b.ClipNorm));
                Assert.Equal(StrategyStateCodec.Encode(a.Inner), StrategyStateCodec.Encode(b.Inner));
                break;
            default:
                Assert.Fail($"unexpected pair {sample.State.GetType().Name} / {decoded.GetType().Name}");
                break;
        }
    }

    [Property(MaxTest = 200, Replay = "(20261128,3)", Arbitrary = [typeof(StrategyStateCodecTests)])]
    public void Decode_AnySingleByteAltered_IsRejected(StateSample sample, PositiveInt position, byte flip)
    {
        byte[] blob = StrategyStateCodec.Encode(sample.State);
        blob[position.Get % blob.Length] ^= flip == 0 ? (byte)1 : flip;

        Assert.Throws<InvalidDataException>(() => StrategyStateCodec.Decode(blob));
    }

    [Property(MaxTest = 100, Replay = "(20261128,5)", Arbitrary = [typeof(StrategyStateCodecTests)])]
    public void Decode_Truncated_IsRejected(StateSample sample, NonNegativeInt cut)
    {
        byte[] blob = StrategyStateCodec.Encode(sample.State);

        Assert.Throws<InvalidDataException>(() => StrategyStateCodec.Decode(blob.AsSpan(0, cut.Get % blob.Length)));
    }

    [Property(MaxTest = 100, Replay = "(20261128,7)")]
    public Property Vector_RoundTripsBitForBit_AndRejectsAlteration() =>
        Prop.ForAll(Vectors.ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (vector, position) =>
        {
            byte[] blob = StrategyStateCodec.EncodeVector(vector);
            Assert.True(vector.ContentEquals(StrategyStateCodec.DecodeVector(blob)));
            blob[position % blob.Length] ^= 0x40;
            Assert.Throws<InvalidDataException>(() => StrategyStateCodec.DecodeVector(blob));
        });

    [Fact]
    public void Decode_UnknownStateType_IsRejectedNamingIt()
    {
        byte[] blob = StrategyStateCodec.Encode(NoStrategyState.Instance);
        // Rewrite the tag "none" as "nope" and re-seal, as a newer build with another strategy would have written it.
        int tag = Encoding.ASCII.GetString(blob).IndexOf("none", StringComparison.Ordinal);
        "nope"u8.CopyTo(blob.AsSpan(tag));
        byte[] resealed = Reseal(blob);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => StrategyStateCodec.Decode(resealed));
        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NewerFormatVersion_IsRejected()
    {
        byte[] blob = StrategyStateCodec.Encode(new FedAvgMState([1f, 2f]));
        blob[4] = 2; // version (u16 little-endian) follows the 4-byte magic
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => StrategyStateCodec.Decode(Reseal(blob)));
        Assert.Contains("version 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_VectorBlobAsState_IsRejected()
    {
        byte[] vector = StrategyStateCodec.EncodeVector(new ParameterVector(ParameterLayout.Create(("w", [2]))));
        Assert.Throws<InvalidDataException>(() => StrategyStateCodec.Decode(vector));
    }

    [Fact]
    public void Encode_StateTypeWithoutCodecEntry_FailsLoudly()
    {
        NotSupportedException error = Assert.Throws<NotSupportedException>(() => StrategyStateCodec.Encode(new AlienState(3)));
        Assert.Contains(nameof(AlienState), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KnownTags_CoverEveryStrategyStateInFederation()
    {
        Type[] states = [.. typeof(StrategyState).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(StrategyState)) && !t.IsAbstract)];
        Assert.Equal(states.Length, StrategyStateCodec.KnownTags.Count);
    }

    private static byte[] Bits(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static byte[] Reseal(byte[] sealedBlob)
    {
        byte[] body = sealedBlob[..^32];
        return [.. body, .. SHA256.HashData(body)];
    }

    public sealed record StateSample(StrategyState State)
    {
        public override string ToString() => $"{State.GetType().Name} ({StrategyStateCodec.Encode(State).Length} bytes)";
    }

    private sealed record AlienState(int Value) : StrategyState;
}
