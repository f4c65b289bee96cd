using System.Diagnostics;

using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Signing;

namespace Consortia.SecureAggregation.Simulation;

/// <summary>
/// Runs a complete secure-aggregation round in process: n <see cref="SecAggClient"/>s and one
/// <see cref="SecAggServer"/> exchanging messages directly, with scripted dropouts, measuring per-stage
/// participant and server time (<see cref="Stopwatch"/>) and bytes per participant.
/// </summary>
/// <remarks>
/// Participants run one after another on the calling thread so that each measured time is one site's own
/// work. The result carries only what the coordinator would get (the sum or a failure) plus measurements.
/// In malicious-server mode each participant gets a fresh Ed25519 identity key.
/// </remarks>
public static class SecAggRoundSimulator
{
    /// <summary>Runs one round.</summary>
    /// <param name="options">The round configuration.</param>
    /// <param name="inputs">The input of participant i at index i − 1, each of the session's vector length.</param>
    /// <returns>The outcome and measurements.</returns>
    /// <exception cref="ArgumentException">The options are invalid or the inputs do not match them.</exception>
    public static SecAggSimulationResult Run(SecAggSimulationOptions options, IReadOnlyList<ReadOnlyMemory<uint>> inputs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inputs);
        options.Validate();
        SecAggSessionOptions session = options.Session;
        int n = session.ParticipantCount;
        if (inputs.Count != n)
        {
            throw new ArgumentException($"One input per participant is required: {n} expected, got {inputs.Count}.", nameof(inputs));
        }

        for (int i = 0; i < n; i++)
        {
            if (inputs[i].Length != session.VectorLength)
            {
                throw new ArgumentException($"inputs[{i}] has {inputs[i].Length} coordinates; the session's vector length is {session.VectorLength}.", nameof(inputs));
            }
        }

        using Participants participants = Participants.Create(options);
        using SecAggServer server = new(session, participants.Verifier);
        List<SecAggPhaseTiming> phases = [];
        List<SecAggRejection> serverRejections = [];
        List<SecAggRejection> clientAborts = [];
        long[] bytesSent = new long[n + 1];
        long[] bytesReceived = new long[n + 1];
        HashSet<int> silent = [];

        long serverTicks = Stopwatch.GetTimestamp();
        ServerStep step = server.Start();
        serverTicks = Stopwatch.GetTimestamp() - serverTicks;
        while (step is ServerStep.Send send)
        {
            silent.UnionWith(DroppedAt(options.Dropouts, send.Stage).Select(p => p.Value));
            List<long> clientTicks = [];
            long stageBytes = 0;
            foreach (SecAggServerMessage message in send.Messages)
            {
                int recipient = message.Recipient.Value;
                if (silent.Contains(recipient))
                {
                    continue;
                }

                SecAggClient client = participants.Clients[recipient];
                bytesReceived[recipient] += WireSize.Of(message);
                long started = Stopwatch.GetTimestamp();
                if (send.Stage == SecAggStage.CollectMaskedInputs)
                {
                    client.ProvideInput(inputs[recipient - 1].Span);
                }

                ClientStep reply = client.Handle(message);
                clientTicks.Add(Stopwatch.GetTimestamp() - started);
                switch (reply)
                {
                    case ClientStep.Reply { Message: SecAggClientMessage answer }:
                        long size = WireSize.Of(answer);
                        bytesSent[recipient] += size;
                        stageBytes += size;
                        long accepting = Stopwatch.GetTimestamp();
                        if (!server.TryAccept(answer, out SecAggRejection? rejection))
                        {
                            serverRejections.Add(rejection);
                        }

                        serverTicks += Stopwatch.GetTimestamp() - accepting;
                        break;
                    case ClientStep.Aborted aborted:
                        clientAborts.Add(aborted.Rejection);
                        silent.Add(recipient);
                        break;
                    case ClientStep.Rejected rejected:
                        clientAborts.Add(rejected.Rejection);
                        break;
                    default:
                        throw new UnreachableException();
                }
            }

            long closing = Stopwatch.GetTimestamp();
            step = server.Advance();
            serverTicks += Stopwatch.GetTimestamp() - closing;
            phases.Add(new SecAggPhaseTiming(
                send.Stage,
                clientTicks.Count,
                clientTicks.Count == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, (long)clientTicks.Average()),
                clientTicks.Count == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, clientTicks.Max()),
                Stopwatch.GetElapsedTime(0, serverTicks),
                clientTicks.Count == 0 ? 0 : (double)stageBytes / clientTicks.Count));
            serverTicks = 0;
        }

        SecureAggregationOutcome outcome = step switch
        {
            ServerStep.Completed completed => new SecureAggregationOutcome.Succeeded(completed.Result) { Rejections = serverRejections },
            ServerStep.Failed failed => new SecureAggregationOutcome.Failed(failed.Failure) { Rejections = serverRejections },
            _ => throw new UnreachableException(),
        };

        int[] finishers = [.. Enumerable.Range(1, n).Where(i => participants.Clients[i].Stage == SecAggStage.Completed)];
        int[] counted = finishers.Length > 0 ? finishers : [.. Enumerable.Range(1, n).Where(i => bytesSent[i] > 0)];
        TimeSpan criticalPath = phases.Aggregate(TimeSpan.Zero, (total, phase) => total + phase.MaxClientTime + phase.ServerTime);
        return new SecAggSimulationResult(
            outcome,
            phases,
            clientAborts,
            counted.Length == 0 ? 0 : counted.Average(i => (double)bytesSent[i]),
            counted.Length == 0 ? 0 : counted.Average(i => (double)bytesReceived[i]),
            criticalPath);
    }

    private static IReadOnlySet<ParticipantIndex> DroppedAt(DropoutPlan plan, SecAggStage stage) => stage switch
    {
        SecAggStage.AdvertiseKeys => plan.BeforeAdvertising,
        SecAggStage.ShareKeys => plan.BeforeSharing,
        SecAggStage.CollectMaskedInputs => plan.BeforeMasking,
        SecAggStage.ConsistencyCheck => plan.BeforeConsistency,
        SecAggStage.Unmasking => plan.BeforeUnmasking,
        _ => throw new UnreachableException(),
    };

    /// <summary>The simulated sites: one client each, plus identity keys in malicious-server mode.</summary>
    private sealed class Participants : IDisposable
    {
        private readonly List<IDisposable> _owned = [];

        private Participants(int count) => Clients = new SecAggClient[count + 1];

        public SecAggClient[] Clients { get; }

        public ISignatureVerifier? Verifier { get; private set; }

        public static Participants Create(SecAggSimulationOptions options)
        {
            SecAggSessionOptions session = options.Session;
            int n = session.ParticipantCount;
            Participants result = new(n);
            DeterministicSecureRandom? root = options.Seed is ulong seed ? new DeterministicSecureRandom(seed) : null;
            if (root is not null)
            {
                result._owned.Add(root);
            }

            ISigner?[] signers = new ISigner?[n + 1];
            if (session.SecurityMode == SecAggSecurityMode.MaliciousServer)
            {
                Dictionary<ParticipantIndex, ReadOnlyMemory<byte>> identities = [];
                for (int i = 1; i <= n; i++)
                {
                    ISecureRandom identityRandom = result.Random(root, (ulong)(n + i));
                    if (options.EcdsaIdentities)
                    {
                        EcdsaP256Signer signer = EcdsaP256Signer.Create(identityRandom);
                        result._owned.Add(signer);
                        signers[i] = signer;
                        identities[new ParticipantIndex(i)] = signer.PublicKey;
                    }
                    else
                    {
                        Ed25519Signer signer = Ed25519Signer.Create(identityRandom);
                        result._owned.Add(signer);
                        signers[i] = signer;
                        identities[new ParticipantIndex(i)] = signer.PublicKey;
                    }
                }

                if (options.EcdsaIdentities)
                {
                    EcdsaP256SignatureVerifier verifier = new(identities);
                    result._owned.Add(verifier);
                    result.Verifier = verifier;
                }
                else
                {
                    result.Verifier = new Ed25519SignatureVerifier(identities);
                }
            }

            for (int i = 1; i <= n; i++)
            {
                SecAggClient client = new(session, new ParticipantIndex(i), result.Random(root, (ulong)i), signers[i], result.Verifier);
                result._owned.Add(client);
                result.Clients[i] = client;
            }

            return result;
        }

        public void Dispose()
        {
            foreach (IDisposable owned in _owned)
            {
                owned.Dispose();
            }
        }

        private ISecureRandom Random(DeterministicSecureRandom? root, ulong label)
        {
            if (root is null)
            {
                return SystemSecureRandom.Instance;
            }

            DeterministicSecureRandom derived = root.Derive(label);
            _owned.Add(derived);
            return derived;
        }
    }
}
