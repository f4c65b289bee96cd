using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.TestKit;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Consortia.Network.Tests.Transport;

/// <summary>
/// Seeded random mutations of valid protocol messages — truncated, bits flipped, fields set to NaN, ∞, huge or negative
/// sizes and indexes, unknown fields, replays — at a site's task handling and at the coordinator's reply handling. Each
/// message is either dropped where the real receiver drops it (the exceptions its host catches) or answered with a value;
/// nothing else escapes, nothing hangs, and the round around it ends with the right outcome.
/// </summary>
public sealed class ProtocolFuzzTests
{
    private const int MessagesPerSide = 10_000; // at a site and at the coordinator each (issue 12: at least 10,000)
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 1 };
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 300_000)]
    [Trait("Category", "Slow")]
    public async Task MalformedTasks_AtASite_AreDroppedOrAnswered_AndTheSiteStillWorks()
    {
        FederatedDataset data = Some.ClassificationFederation(2);
        SiteAgent[] agents = TestSites.Agents(data, s_spec, [MetricKind.Accuracy], 8, i => new RandomSource((ulong)i));
        agents[1].Dispose();
        using SiteAgent agent = agents[0];
        ParameterVector global = new(s_spec.CreateLayout());
        SessionId session = SessionId.FromBytes(new byte[SessionId.Length]);
        SiteTask[] valid =
        [
            new TrainTask(agent.Site, new RoundNumber(1), global, s_training) { Participants = 2, JobSha256 = TestSites.JobSha256 },
            new EvaluateTask(agent.Site, new RoundNumber(1), global) { Contributors = 2, JobSha256 = TestSites.JobSha256 },
            new SecAggTask(agent.Site, new RoundNumber(1), new ConsistencyRequest(session, new ParticipantIndex(1), [new(1), new(2)])) { JobSha256 = TestSites.JobSha256 },
            new SecAggTask(agent.Site, new RoundNumber(1), new ShareDelivery(session, new ParticipantIndex(1), [new(new(2), new(1), new byte[48])])) { JobSha256 = TestSites.JobSha256 },
        ];
        Random random = new(20261207);
        Mutator mutator = new(random, skip: [LocalTraining.Descriptor]); // absurd local work is a cost, not a protocol fault
        int dropped = 0, answered = 0;

        for (int i = 0; i < MessagesPerSide; i++)
        {
            WireItem<TaskHeader> item = WireCodec.Encode(valid[random.Next(valid.Length)], $"item-{i}", "job-1");
            (byte[] header, byte[] payload) = mutator.Mutate(item.Header, Concat(item.Payload));
            SiteTask? task;
            try
            {
                TaskHeader parsed = TaskHeader.Parser.ParseFrom(header);
                PayloadAssembler assembler = new(parsed.ItemId, WireCodec.Vectors(parsed), parsed.PayloadBytes);
                Feed(assembler, parsed.ItemId, payload);
                task = assembler.IsComplete ? WireCodec.Decode(parsed, assembler, agent.Site) : null;
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
            {
                // gRPC refuses what does not parse; the node drops the work stream on InvalidDataException (SiteNode).
                task = null;
            }

            if (task is null)
            {
                dropped++;
                continue;
            }

            SiteReply reply = await agent.HandleAsync(task, TestContext.Current.CancellationToken).AsTask().WaitAsync(s_bound, TestContext.Current.CancellationToken);
            Assert.Equal(agent.Site, reply.Site);
            answered++;
        }

        Assert.Equal(MessagesPerSide, dropped + answered);
        Assert.InRange(dropped, MessagesPerSide / 10, MessagesPerSide);
        Assert.InRange(answered, MessagesPerSide / 10, MessagesPerSide);
        SiteReply honest = await agent.HandleAsync(valid[1], TestContext.Current.CancellationToken);
        Assert.IsType<EvaluationCompleted>(honest);
    }

    [Fact(Timeout = 300_000)]
    [Trait("Category", "Slow")]
    public async Task MalformedReplies_AtTheCoordinator_AreDroppedOrLeaveTheRoundWithTheRightOutcome()
    {
        SiteId offender = new("site0"), honest = new("site1");
        ParameterLayout layout = s_spec.CreateLayout();
        ParameterVector delta = new(layout, [.. Enumerable.Range(0, layout.Length).Select(i => 0.01f * (i + 1))]);
        SessionId session = SessionId.FromBytes(new byte[SessionId.Length]);
        SiteReply[] valid =
        [
            new TrainingCompleted(offender, new RoundNumber(1), new SiteUpdate(offender, delta, 10, 0.5, 3)),
            new EvaluationCompleted(offender, new RoundNumber(1), new EvaluationReport(offender, 10, [new MetricValue(MetricKind.Accuracy, 0.8)])),
            new Refused(offender, new RoundNumber(1), "schedule", "outside the window"),
            new Failed(offender, new RoundNumber(1), "site-error", "no data values"),
            new TrainingPrepared(offender, new RoundNumber(1), 3),
            new SecAggReplied(offender, new RoundNumber(1), new KeyAdvertisement(session, new ParticipantIndex(1), new byte[32], new byte[32], new byte[64])),
            new SecAggReplied(offender, new RoundNumber(1), new MaskedInput(session, new ParticipantIndex(1), new uint[layout.Length + 2])),
            new SecAggReplied(offender, new RoundNumber(1), new UnmaskingShares(session, new ParticipantIndex(1), [new(new(2), SecretKind.SelfMaskSeed, new byte[40])])),
        ];
        Random random = new(20261208);
        Mutator mutator = new(random, skip: []);
        GlobalModel model = new(s_spec, new ParameterVector(layout), new RoundNumber(0));
        int dropped = 0, rounds = 0;

        for (int i = 0; i < MessagesPerSide; i++)
        {
            WireItem<ReplyHeader> item = WireCodec.Encode(valid[random.Next(valid.Length)], $"item-{i}");
            (byte[] header, byte[] payload) = mutator.Mutate(item.Header, Concat(item.Payload));
            SiteReply? reply;
            try
            {
                // What SiteGatewayService.PushReply does with a reply stream, down to its catch.
                ReplyHeader parsed = ReplyHeader.Parser.ParseFrom(header);
                PayloadAssembler assembler = new(parsed.ItemId, WireCodec.Vectors(parsed), parsed.PayloadBytes);
                Feed(assembler, parsed.ItemId, payload);
                reply = assembler.IsComplete ? WireCodec.Decode(parsed, assembler, offender) : null;
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException or ArgumentException)
            {
                reply = null;
            }

            if (reply is null)
            {
                dropped++;
                continue;
            }

            // The decoded reply stands for the offender in a plain round beside an honest site.
            ScriptedTransport transport = new([offender, honest], reply, new TrainingCompleted(honest, new RoundNumber(1), new SiteUpdate(honest, delta, 10, 0.5, 3)));
            RoundEngine engine = new(transport, new FedAvgStrategy(new FedAvgOptions { Training = s_training }), new RoundEngineOptions { Rounds = 1 }, TimeProvider.System);
            (GlobalModel next, _, RoundReport report) = await engine.RunRoundAsync(new RoundNumber(1), model, NoStrategyState.Instance, new RandomSource(1), evaluate: false, TestContext.Current.CancellationToken)
                .WaitAsync(s_bound, TestContext.Current.CancellationToken);
            rounds++;
            Assert.True(next.Parameters.IsFinite());
            if (report.Contributors.Contains(offender))
            {
                // Only a well-formed update is aggregated.
                SiteUpdate update = Assert.IsType<TrainingCompleted>(reply).Update;
                Assert.True(update.WeightedDelta.IsFinite() && update.Weight > 0 && double.IsFinite(update.Weight));
            }
            else
            {
                Assert.True(
                    report.Refusals.Any(r => r.Site == offender) || report.Failures.Any(f => f.Site == offender),
                    $"the offender's {reply.GetType().Name} is neither aggregated nor reported");
                Assert.True(report.Aggregated);
                Assert.Equal([honest], report.Contributors);
            }
        }

        Assert.Equal(MessagesPerSide, dropped + rounds);
        Assert.InRange(dropped, MessagesPerSide / 10, MessagesPerSide);
        Assert.InRange(rounds, MessagesPerSide / 10, MessagesPerSide);
    }

    private static byte[] Concat(IReadOnlyList<ReadOnlyMemory<byte>> payload)
    {
        byte[] all = new byte[payload.Sum(p => p.Length)];
        int at = 0;
        foreach (ReadOnlyMemory<byte> part in payload)
        {
            part.Span.CopyTo(all.AsSpan(at));
            at += part.Length;
        }

        return all;
    }

    /// <summary>Feeds <paramref name="payload"/> in chunks, as the stream would; a payload cut short leaves the assembler incomplete.</summary>
    private static void Feed(PayloadAssembler assembler, string itemId, byte[] payload)
    {
        for (int at = 0; at < payload.Length && !assembler.IsComplete; at += 64)
        {
            assembler.Add(new Chunk { ItemId = itemId, Offset = at, Data = ByteString.CopyFrom(payload.AsSpan(at, Math.Min(64, payload.Length - at))) });
        }
    }

    /// <summary>One dispatch: the scripted replies, whatever the tasks.</summary>
    private sealed class ScriptedTransport(IReadOnlyList<SiteId> roster, params SiteReply[] replies) : ISiteTransport
    {
        public IReadOnlyList<SiteId> Roster { get; } = roster;

        public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            foreach (SiteReply reply in replies)
            {
                yield return reply;
            }
        }
    }

    /// <summary>Seeded mutations of a message and its payload.</summary>
    private sealed class Mutator(Random random, IReadOnlyList<MessageDescriptor> skip)
    {
        private static readonly double[] s_doubles = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -1, 0, 1e308, double.Epsilon];
        private static readonly long[] s_integers = [0, -1, 1, int.MaxValue, int.MinValue, long.MaxValue, 1L << 31, 1 << 28];

        public (byte[] Header, byte[] Payload) Mutate(IMessage header, byte[] payload)
        {
            byte[] bytes = header.ToByteArray();
            switch (random.Next(8))
            {
                case 0: // a field set to an extreme value
                    IMessage clone = header.Descriptor.Parser.ParseFrom(bytes);
                    SetRandomField(clone, depth: 0);
                    return (clone.ToByteArray(), payload);
                case 1: // bits flipped
                    for (int k = random.Next(1, 4); k > 0 && bytes.Length > 0; k--)
                    {
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    return (bytes, payload);
                case 2: // truncated header
                    return (bytes[..random.Next(bytes.Length + 1)], payload);
                case 3: // an unknown field appended (a field number no message uses, any wire type)
                    return ([.. bytes, .. UnknownField()], payload);
                case 4: // payload values replaced by NaN or ∞
                    byte[] poisoned = (byte[])payload.Clone();
                    for (int k = 0; k + 4 <= poisoned.Length && k < 64; k += 4 * random.Next(1, 4))
                    {
                        MemoryMarshal.Write(poisoned.AsSpan(k), random.Next(2) == 0 ? float.NaN : float.PositiveInfinity);
                    }

                    return (bytes, poisoned);
                case 5: // payload cut short or padded
                    return (bytes, random.Next(2) == 0 ? payload[..random.Next(payload.Length + 1)] : [.. payload, .. new byte[random.Next(1, 9)]]);
                case 6: // random bytes spliced in
                    int at = random.Next(bytes.Length + 1);
                    byte[] noise = new byte[random.Next(1, 9)];
                    random.NextBytes(noise);
                    return ([.. bytes[..at], .. noise, .. bytes[at..]], payload);
                default: // a replay: the valid message again
                    return (bytes, payload);
            }
        }

        private byte[] UnknownField()
        {
            int wireType = random.Next(6);
            List<byte> field = [.. Varint(((ulong)(9000 + random.Next(1000)) << 3) | (uint)wireType)];
            switch (wireType)
            {
                case 0: field.AddRange(Varint((ulong)random.NextInt64())); break;
                case 1: field.AddRange(new byte[8]); break;
                case 2: field.AddRange(Varint((ulong)random.Next(0, 1 << 20))); field.AddRange(new byte[random.Next(0, 16)]); break; // often a length beyond the end
                case 5: field.AddRange(new byte[4]); break;
                default: break; // group markers: malformed on purpose
            }

            return [.. field];
        }

        private static IEnumerable<byte> Varint(ulong value)
        {
            do
            {
                byte b = (byte)(value & 0x7F);
                value >>= 7;
                yield return value == 0 ? b : (byte)(b | 0x80);
            }
            while (value != 0);
        }

        private void SetRandomField(IMessage message, int depth)
        {
            FieldDescriptor[] fields = [.. message.Descriptor.Fields.InDeclarationOrder()];
            if (fields.Length == 0 || skip.Contains(message.Descriptor))
            {
                return;
            }

            FieldDescriptor field = fields[random.Next(fields.Length)];
            object? current = field.Accessor.GetValue(message);
            if (field.IsRepeated)
            {
                System.Collections.IList list = (System.Collections.IList)current!;
                if (list.Count > 0 && random.Next(2) == 0)
                {
                    if (field.FieldType == FieldType.Message)
                    {
                        SetRandomField((IMessage)list[random.Next(list.Count)]!, depth + 1);
                    }
                    else
                    {
                        list.Add(list[random.Next(list.Count)]); // a duplicate entry
                    }
                }
                else if (list.Count > 0)
                {
                    list.RemoveAt(random.Next(list.Count));
                }
                else if (field.FieldType is FieldType.Int32)
                {
                    list.Add((int)s_integers[random.Next(s_integers.Length)]);
                }

                return;
            }

            switch (field.FieldType)
            {
                case FieldType.Message when current is IMessage inner && depth < 4 && random.Next(4) > 0:
                    SetRandomField(inner, depth + 1);
                    break;
                case FieldType.Message:
                    field.Accessor.Clear(message);
                    break;
                case FieldType.Double:
                    field.Accessor.SetValue(message, s_doubles[random.Next(s_doubles.Length)]);
                    break;
                case FieldType.Float:
                    field.Accessor.SetValue(message, (float)s_doubles[random.Next(s_doubles.Length)]);
                    break;
                case FieldType.Int32:
                    field.Accessor.SetValue(message, (int)s_integers[random.Next(s_integers.Length)]);
                    break;
                case FieldType.Int64:
                    field.Accessor.SetValue(message, s_integers[random.Next(s_integers.Length)]);
                    break;
                case FieldType.Bool:
                    field.Accessor.SetValue(message, !(bool)current!);
                    break;
                case FieldType.String:
                    field.Accessor.SetValue(message, random.Next(3) switch { 0 => "", 1 => new string('x', 5000), _ => "../\u0000é" });
                    break;
                case FieldType.Bytes:
                    byte[] bytes = new byte[random.Next(3) switch { 0 => 0, 1 => 1, _ => random.Next(2, 200) }];
                    random.NextBytes(bytes);
                    field.Accessor.SetValue(message, ByteString.CopyFrom(bytes));
                    break;
                case FieldType.Enum:
                    field.Accessor.SetValue(message, Enum.ToObject(field.EnumType.ClrType, random.Next(-1, 5)));
                    break;
                default:
                    break;
            }
        }
    }
}
