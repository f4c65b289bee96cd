using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Signing;

namespace Consortia.SecureAggregation.Tests.Support;

/// <summary>
/// An in-memory router between real clients and a real server, stage by stage, so tests can drop,
/// tamper with or inject messages at any point.
/// </summary>
internal sealed class ProtocolHarness : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public ProtocolHarness(SecAggSessionOptions options, ulong seed = 7, uint[][]? inputs = null, bool provideInputs = true, bool ecdsaIdentities = false)
    {
        Options = options;
        int n = options.ParticipantCount;
        DeterministicSecureRandom root = Own(new DeterministicSecureRandom(seed));
        Inputs = inputs ?? SessionFactory.RandomInputs(n, options.VectorLength, (int)seed);
        Signers = new ISigner?[n + 1];
        if (options.SecurityMode == SecAggSecurityMode.MaliciousServer)
        {
            Dictionary<ParticipantIndex, ReadOnlyMemory<byte>> identities = [];
            for (int i = 1; i <= n; i++)
            {
                DeterministicSecureRandom identityRandom = Own(root.Derive(1000 + (ulong)i));
                if (ecdsaIdentities)
                {
                    EcdsaP256Signer signer = Own(EcdsaP256Signer.Create(identityRandom));
                    Signers[i] = signer;
                    identities[new ParticipantIndex(i)] = signer.PublicKey;
                }
                else
                {
                    Ed25519Signer signer = Own(Ed25519Signer.Create(identityRandom));
                    Signers[i] = signer;
                    identities[new ParticipantIndex(i)] = signer.PublicKey;
                }
            }

            Verifier = ecdsaIdentities ? Own(new EcdsaP256SignatureVerifier(identities)) : new Ed25519SignatureVerifier(identities);
        }

        Clients = new SecAggClient[n + 1];
        for (int i = 1; i <= n; i++)
        {
            Clients[i] = Own(new SecAggClient(options, new ParticipantIndex(i), Own(root.Derive((ulong)i)), Signers[i], Verifier));
            if (provideInputs)
            {
                Clients[i].ProvideInput(Inputs[i - 1]);
            }
        }

        Server = Own(new SecAggServer(options, Verifier));
    }

    public SecAggSessionOptions Options { get; }

    public uint[][] Inputs { get; }

    public SecAggClient[] Clients { get; }

    public SecAggServer Server { get; }

    public ISigner?[] Signers { get; }

    public ISignatureVerifier? Verifier { get; }

    public List<SecAggRejection> ClientAborts { get; } = [];

    public SessionId SessionId => Server.SessionId;

    /// <summary>Delivers the stage's messages to the clients not in <paramref name="silent"/>; returns their replies.</summary>
    public List<SecAggClientMessage> Deliver(ServerStep.Send send, IReadOnlySet<int>? silent = null, Func<SecAggServerMessage, SecAggServerMessage>? tamper = null)
    {
        List<SecAggClientMessage> replies = [];
        foreach (SecAggServerMessage message in send.Messages)
        {
            if (silent?.Contains(message.Recipient.Value) == true)
            {
                continue;
            }

            ClientStep step = Clients[message.Recipient.Value].Handle(tamper is null ? message : tamper(message));
            switch (step)
            {
                case ClientStep.Reply reply:
                    replies.Add(reply.Message);
                    break;
                case ClientStep.Aborted aborted:
                    ClientAborts.Add(aborted.Rejection);
                    break;
                case ClientStep.Rejected rejected:
                    ClientAborts.Add(rejected.Rejection);
                    break;
            }
        }

        return replies;
    }

    /// <summary>Hands replies to the server and asserts each is accepted.</summary>
    public void AcceptAll(IEnumerable<SecAggClientMessage> replies)
    {
        foreach (SecAggClientMessage reply in replies)
        {
            Assert.True(Server.TryAccept(reply, out SecAggRejection? rejection), rejection?.ToString());
        }
    }

    /// <summary>Runs the honest protocol until the server opens <paramref name="stage"/>; returns that stage's messages (not yet delivered).</summary>
    public ServerStep.Send RunTo(SecAggStage stage, IReadOnlySet<int>? silent = null)
    {
        ServerStep step = Server.Start();
        while (step is ServerStep.Send send && send.Stage != stage)
        {
            AcceptAll(Deliver(send, silent));
            step = Server.Advance();
        }

        return Assert.IsType<ServerStep.Send>(step);
    }

    /// <summary>Runs the whole honest protocol with the given per-stage silences.</summary>
    public ServerStep RunToEnd(Func<SecAggStage, IReadOnlySet<int>>? silentAt = null)
    {
        HashSet<int> silent = [];
        ServerStep step = Server.Start();
        while (step is ServerStep.Send send)
        {
            if (silentAt is not null)
            {
                silent.UnionWith(silentAt(send.Stage));
            }

            AcceptAll(Deliver(send, silent));
            step = Server.Advance();
        }

        return step;
    }

    /// <summary>Delivers one message to its recipient and returns the client's step.</summary>
    public ClientStep Handle(SecAggServerMessage message) => Clients[message.Recipient.Value].Handle(message);

    /// <summary>The message of <paramref name="send"/> addressed to <paramref name="participant"/>.</summary>
    public static T For<T>(ServerStep.Send send, int participant)
        where T : SecAggServerMessage
        => Assert.IsType<T>(send.Messages.Single(m => m.Recipient.Value == participant));

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
