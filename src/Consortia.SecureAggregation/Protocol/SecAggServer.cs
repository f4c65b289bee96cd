using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Graph;
using Consortia.SecureAggregation.Masking;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Sharing;
using Consortia.SecureAggregation.Signing;

namespace Consortia.SecureAggregation.Protocol;

/// <summary>
/// The coordinator side of SecAgg / SecAgg+ (Bonawitz et al. 2017; Bell et al. 2020) as a pure state
/// machine: client messages in (<see cref="TryAccept"/>), server messages out when the caller closes a
/// stage (<see cref="Advance"/>). No I/O, no clock: the caller decides when a stage's deadline has passed.
/// </summary>
/// <remarks>
/// <para>Masked inputs are added into a running sum as they arrive and never kept individually. The only
/// output is <see cref="SecureSum"/>. The server requests, for each participant, either its self-mask seed
/// shares (if its masked input arrived) or its private-key shares (if it dropped after sharing keys), never
/// both; the clients enforce the same rule.</para>
/// <para>Every stage needs at least max(t, <see cref="SecAggSessionOptions.MinimumAggregateSize"/>)
/// participants, and every secret to be reconstructed needs t revealed shares; otherwise the session fails
/// with <see cref="SecAggError.InsufficientSurvivors"/> before any mask is removed.</para>
/// <para>Not thread-safe: deliver messages one at a time.</para>
/// </remarks>
public sealed class SecAggServer : IDisposable
{
    private readonly SecAggSessionOptions _options;
    private readonly ISignatureVerifier? _verifier;
    private readonly byte[] _session;
    private readonly Participant[] _participants;
    private readonly HashSet<string> _advertisedKeys = new(StringComparer.Ordinal);
    private readonly HashSet<int> _expected = [];
    private readonly HashSet<int> _responded = [];
    private readonly Dictionary<int, List<ReadOnlyMemory<byte>>> _seedShares = [];
    private readonly Dictionary<int, List<ReadOnlyMemory<byte>>> _keyShares = [];

    private bool _started;
    private SecAggStage _stage = SecAggStage.AdvertiseKeys;
    private NeighbourGraph? _graph;
    private int[] _sharing = [];
    private ParticipantIndex[] _survivors = [];
    private byte[]? _consistencyPayload;
    private uint[]? _sum;

    /// <summary>Creates the server of one session.</summary>
    /// <param name="options">The session options (the same the participants receive).</param>
    /// <param name="verifier">Verifier of the participants' signatures; required in malicious-server mode.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="ArgumentNullException">The verifier is missing in malicious-server mode.</exception>
    public SecAggServer(SecAggSessionOptions options, ISignatureVerifier? verifier = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        SessionId = options.ComputeSessionId();
        if (options.SecurityMode == SecAggSecurityMode.MaliciousServer)
        {
            ArgumentNullException.ThrowIfNull(verifier);
        }

        _options = options;
        _verifier = verifier;
        _session = SessionId.ToArray();
        _participants = new Participant[options.ParticipantCount + 1];
        for (int i = 1; i <= options.ParticipantCount; i++)
        {
            _participants[i] = new Participant();
        }
    }

    /// <summary>The session id computed from the options.</summary>
    public SessionId SessionId { get; }

    /// <summary>The stage currently collecting client messages, or the final state.</summary>
    public SecAggStage Stage => _stage;

    /// <summary>Whether every participant asked in the current stage has answered (the caller may close it early).</summary>
    public bool IsStageComplete => _started && _stage < SecAggStage.Completed && _responded.Count == _expected.Count;

    /// <summary>The participants asked in the current stage that have not answered yet.</summary>
    public IReadOnlyList<ParticipantIndex> Pending =>
        [.. _expected.Where(p => !_responded.Contains(p)).Order().Select(p => new ParticipantIndex(p))];

    /// <summary>Opens the session: one <see cref="AdvertiseKeysRequest"/> per participant.</summary>
    /// <returns>The messages of stage <see cref="SecAggStage.AdvertiseKeys"/>.</returns>
    /// <exception cref="InvalidOperationException">The session was already started.</exception>
    public ServerStep.Send Start()
    {
        if (_started)
        {
            throw new InvalidOperationException("The session was already started.");
        }

        _started = true;
        List<SecAggServerMessage> messages = new(_options.ParticipantCount);
        for (int i = 1; i <= _options.ParticipantCount; i++)
        {
            _expected.Add(i);
            messages.Add(new AdvertiseKeysRequest(SessionId, new ParticipantIndex(i)));
        }

        return new ServerStep.Send(SecAggStage.AdvertiseKeys, messages);
    }

    /// <summary>Validates and records one client message.</summary>
    /// <param name="message">The message; its sender must have been authenticated by the transport.</param>
    /// <param name="rejection">Why the message was discarded, when it was.</param>
    /// <returns><see langword="true"/> when accepted; <see langword="false"/> when discarded (the session is unaffected).</returns>
    public bool TryAccept(SecAggClientMessage message, [NotNullWhen(false)] out SecAggRejection? rejection)
    {
        ArgumentNullException.ThrowIfNull(message);
        rejection = Check(message);
        if (rejection is null)
        {
            _responded.Add(message.Sender.Value);
        }

        return rejection is null;
    }

    /// <summary>Closes the current stage (all answered, or its deadline passed) and opens the next.</summary>
    /// <returns>The next stage's messages, the failure, or the sum.</returns>
    /// <exception cref="InvalidOperationException">The session was not started or has ended.</exception>
    public ServerStep Advance()
    {
        if (!_started)
        {
            throw new InvalidOperationException("Start the session before advancing it.");
        }

        return _stage switch
        {
            SecAggStage.AdvertiseKeys => CloseAdvertisement(),
            SecAggStage.ShareKeys => CloseSharing(),
            SecAggStage.CollectMaskedInputs => CloseMasking(),
            SecAggStage.ConsistencyCheck => CloseConsistency(),
            SecAggStage.Unmasking => CloseUnmasking(),
            _ => throw new InvalidOperationException($"The session has ended ({_stage})."),
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_stage is not SecAggStage.Completed)
        {
            _stage = SecAggStage.Failed;
        }

        Erase();
    }

    private SecAggRejection? Check(SecAggClientMessage message)
    {
        ParticipantIndex sender = message.Sender;
        if (message.Session != SessionId)
        {
            return new SecAggRejection(SecAggError.WrongSession, sender, "The message belongs to another session.");
        }

        if (sender.Value < 1 || sender.Value > _options.ParticipantCount)
        {
            return new SecAggRejection(SecAggError.UnknownParticipant, sender, $"{sender} is not a participant of this session.");
        }

        SecAggStage stageOfMessage = message switch
        {
            KeyAdvertisement => SecAggStage.AdvertiseKeys,
            EncryptedShares => SecAggStage.ShareKeys,
            MaskedInput => SecAggStage.CollectMaskedInputs,
            ConsistencySignature => SecAggStage.ConsistencyCheck,
            UnmaskingShares => SecAggStage.Unmasking,
            _ => SecAggStage.Failed,
        };
        if (!_started || stageOfMessage != _stage)
        {
            return new SecAggRejection(SecAggError.WrongStage, sender, $"{message.GetType().Name} is not accepted at stage {_stage}.");
        }

        if (!_expected.Contains(sender.Value))
        {
            return new SecAggRejection(SecAggError.UnknownParticipant, sender, $"{sender} is not part of the current stage (it dropped earlier).");
        }

        if (_responded.Contains(sender.Value))
        {
            return new SecAggRejection(SecAggError.DuplicateMessage, sender, $"{sender} already answered stage {_stage}.");
        }

        return message switch
        {
            KeyAdvertisement advertisement => CheckAdvertisement(advertisement),
            EncryptedShares shares => CheckShares(shares),
            MaskedInput input => CheckMaskedInput(input),
            ConsistencySignature signature => CheckConsistency(signature),
            UnmaskingShares shares => CheckRevealedShares(shares),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    private SecAggRejection? CheckAdvertisement(KeyAdvertisement message)
    {
        ParticipantIndex sender = message.Sender;
        if (message.CipherPublicKey.Length != X25519.PublicKeyLength || message.MaskPublicKey.Length != X25519.PublicKeyLength)
        {
            return new SecAggRejection(SecAggError.WrongLength, sender, $"Public keys must be {X25519.PublicKeyLength} bytes.");
        }

        string cipherHex = Convert.ToHexString(message.CipherPublicKey.Span);
        string maskHex = Convert.ToHexString(message.MaskPublicKey.Span);
        if (cipherHex == maskHex || _advertisedKeys.Contains(cipherHex) || _advertisedKeys.Contains(maskHex))
        {
            return new SecAggRejection(SecAggError.DuplicatePublicKey, sender, "An advertised public key repeats another key.");
        }

        if (_options.SecurityMode == SecAggSecurityMode.MaliciousServer)
        {
            if (message.Signature is not ReadOnlyMemory<byte> signature)
            {
                return new SecAggRejection(SecAggError.MissingSignature, sender, "Key advertisements must be signed in malicious-server mode.");
            }

            byte[] payload = SigningPayloads.Advertisement(SessionId, sender, message.CipherPublicKey.Span, message.MaskPublicKey.Span);
            if (!_verifier!.Verify(sender, payload, signature.Span)) // not null: checked in the constructor
            {
                return new SecAggRejection(SecAggError.InvalidSignature, sender, "The key advertisement signature does not verify.");
            }
        }

        if (!X25519.IsValidPublicKey(message.CipherPublicKey.Span))
        {
            return new SecAggRejection(SecAggError.InvalidPublicKey, sender, "The encryption key is an X25519 point of small order.");
        }

        if (!X25519.IsValidPublicKey(message.MaskPublicKey.Span))
        {
            return new SecAggRejection(SecAggError.InvalidPublicKey, sender, "The mask key is an X25519 point of small order.");
        }

        _advertisedKeys.Add(cipherHex);
        _advertisedKeys.Add(maskHex);
        Participant participant = _participants[sender.Value];
        participant.Keys = new AdvertisedKeys(sender, message.CipherPublicKey.ToArray(), message.MaskPublicKey.ToArray(), message.Signature?.ToArray());
        return null;
    }

    private SecAggRejection? CheckShares(EncryptedShares message)
    {
        ParticipantIndex sender = message.Sender;
        IReadOnlyList<int> neighbours = _graph!.NeighboursOf(sender.Value); // not null: built when stage 0 closed
        if (message.Shares is null || message.Shares.Count != neighbours.Count)
        {
            return new SecAggRejection(SecAggError.WrongShareSet, sender, $"Expected exactly one share for each of {neighbours.Count} neighbours.");
        }

        HashSet<int> recipients = [];
        foreach (EncryptedShare? share in message.Shares)
        {
            if (share is null || share.Sender != sender)
            {
                return new SecAggRejection(SecAggError.WrongShareSet, sender, "A share claims another sender.");
            }

            if (!neighbours.Contains(share.Recipient.Value))
            {
                return new SecAggRejection(SecAggError.NotANeighbour, sender, $"A share is addressed to {share.Recipient}, who is not a neighbour.");
            }

            if (!recipients.Add(share.Recipient.Value))
            {
                return new SecAggRejection(SecAggError.WrongShareSet, sender, $"Two shares are addressed to {share.Recipient}.");
            }

            if (share.Ciphertext.Length != ProtocolConstants.CiphertextLength)
            {
                return new SecAggRejection(SecAggError.WrongLength, sender, $"Encrypted shares are {ProtocolConstants.CiphertextLength} bytes, got {share.Ciphertext.Length}.");
            }
        }

        _participants[sender.Value].Outgoing = [.. message.Shares.Select(s => s with { Ciphertext = s.Ciphertext.ToArray() })];
        return null;
    }

    private SecAggRejection? CheckMaskedInput(MaskedInput message)
    {
        if (message.Vector.Length != _options.VectorLength)
        {
            return new SecAggRejection(SecAggError.WrongLength, message.Sender, $"Masked inputs have {_options.VectorLength} coordinates, got {message.Vector.Length}.");
        }

        _sum ??= new uint[_options.VectorLength];
        RingArithmetic.AddInPlace(_sum, message.Vector.Span);
        return null;
    }

    private SecAggRejection? CheckConsistency(ConsistencySignature message)
    {
        if (!_verifier!.Verify(message.Sender, _consistencyPayload!, message.Signature.Span)) // not null: malicious mode only, set when stage 2 closed
        {
            return new SecAggRejection(SecAggError.InvalidSignature, message.Sender, "The consistency signature does not verify.");
        }

        _participants[message.Sender.Value].ConsistencySignature = message.Signature.ToArray();
        return null;
    }

    private SecAggRejection? CheckRevealedShares(UnmaskingShares message)
    {
        ParticipantIndex sender = message.Sender;
        Dictionary<int, SecretKind> requested = _participants[sender.Value].Requested;
        if (message.Shares is null || message.Shares.Count != requested.Count)
        {
            return new SecAggRejection(SecAggError.UnrequestedShare, sender, $"Expected exactly {requested.Count} shares.");
        }

        HashSet<int> owners = [];
        Span<Fp127> limbs = stackalloc Fp127[ShamirSecretSharing.LimbCount(ProtocolConstants.SecretLength)];
        foreach (RevealedShare? share in message.Shares)
        {
            if (share is null || !requested.TryGetValue(share.Owner.Value, out SecretKind kind) || kind != share.Kind)
            {
                return new SecAggRejection(SecAggError.UnrequestedShare, sender, "A revealed share was not requested.");
            }

            if (!owners.Add(share.Owner.Value))
            {
                return new SecAggRejection(SecAggError.DuplicateMessage, sender, $"Two shares of {share.Owner} were revealed.");
            }

            if (!ShamirSecretSharing.TryDecode(share.Share.Span, ProtocolConstants.SecretLength, out int x, limbs, out _) || x != sender.Value)
            {
                return new SecAggRejection(SecAggError.MalformedShare, sender, $"The share of {share.Owner} is malformed or not the sender's.");
            }
        }

        foreach (RevealedShare share in message.Shares)
        {
            Dictionary<int, List<ReadOnlyMemory<byte>>> store = share.Kind == SecretKind.SelfMaskSeed ? _seedShares : _keyShares;
            if (!store.TryGetValue(share.Owner.Value, out List<ReadOnlyMemory<byte>>? list))
            {
                list = [];
                store[share.Owner.Value] = list;
            }

            list.Add(share.Share.ToArray());
        }

        return null;
    }

    private ServerStep CloseAdvertisement()
    {
        int[] advertised = [.. _responded.Order()];
        if (advertised.Length < _options.RequiredSurvivors)
        {
            return Fail(SecAggError.InsufficientSurvivors, $"{advertised.Length} participants advertised keys; at least {_options.RequiredSurvivors} are required.");
        }

        AdvertisedKeys[] roster = [.. advertised.Select(i => _participants[i].Keys!)]; // not null: set when accepted
        byte[] graphSeed = ProtocolConstants.GraphSeed(SessionId, roster.Select(k => (k.Participant.Value, k.CipherPublicKey, k.MaskPublicKey)));
        _graph = NeighbourGraph.Build(advertised, _options.IsCompleteGraph ? null : _options.Neighbours, graphSeed);
        List<SecAggServerMessage> messages = new(advertised.Length);
        foreach (int participant in advertised)
        {
            messages.Add(new KeyRoster(SessionId, new ParticipantIndex(participant), roster));
        }

        return Open(SecAggStage.ShareKeys, advertised, messages);
    }

    private ServerStep CloseSharing()
    {
        int[] sharing = [.. _responded.Order()];
        if (sharing.Length < _options.RequiredSurvivors)
        {
            return Fail(SecAggError.InsufficientSurvivors, $"{sharing.Length} participants shared keys; at least {_options.RequiredSurvivors} are required.");
        }

        _sharing = sharing;
        Dictionary<int, List<EncryptedShare>> inbox = sharing.ToDictionary(p => p, _ => new List<EncryptedShare>());
        foreach (int sender in sharing)
        {
            Participant participant = _participants[sender];
            foreach (EncryptedShare share in participant.Outgoing)
            {
                if (inbox.TryGetValue(share.Recipient.Value, out List<EncryptedShare>? box))
                {
                    box.Add(share);
                }
            }

            participant.Outgoing = [];
        }

        List<SecAggServerMessage> messages = new(sharing.Length);
        foreach (int recipient in sharing)
        {
            List<EncryptedShare> box = inbox[recipient];
            _participants[recipient].Sharers = [.. box.Select(s => s.Sender.Value).Order()];
            messages.Add(new ShareDelivery(SessionId, new ParticipantIndex(recipient), box));
        }

        return Open(SecAggStage.CollectMaskedInputs, sharing, messages);
    }

    private ServerStep CloseMasking()
    {
        int[] masked = [.. _responded.Order()];
        if (masked.Length < _options.RequiredSurvivors)
        {
            return Fail(SecAggError.InsufficientSurvivors, $"{masked.Length} participants sent masked inputs; at least {_options.RequiredSurvivors} are required.");
        }

        _survivors = [.. masked.Select(p => new ParticipantIndex(p))];
        if (_options.SecurityMode == SecAggSecurityMode.MaliciousServer)
        {
            _consistencyPayload = SigningPayloads.Consistency(SessionId, _survivors);
            List<SecAggServerMessage> requests = [.. masked.Select(p => new ConsistencyRequest(SessionId, new ParticipantIndex(p), _survivors))];
            return Open(SecAggStage.ConsistencyCheck, masked, requests);
        }

        return OpenUnmasking(masked);
    }

    private ServerStep CloseConsistency()
    {
        int[] attested = [.. _responded.Order()];
        if (attested.Length < _options.Threshold)
        {
            return Fail(SecAggError.InsufficientSurvivors, $"{attested.Length} participants signed the survivor list; at least {_options.Threshold} are required.");
        }

        return OpenUnmasking(attested);
    }

    private ServerStep.Send OpenUnmasking(int[] recipients)
    {
        HashSet<int> survivors = [.. _survivors.Select(s => s.Value)];
        HashSet<int> answering = [.. recipients];
        List<SecAggServerMessage> messages = new(recipients.Length);
        foreach (int recipient in recipients)
        {
            Participant participant = _participants[recipient];
            participant.Requested.Clear();
            List<ParticipantIndex> dropped = [];
            foreach (int owner in participant.Sharers.Append(recipient).Order())
            {
                if (survivors.Contains(owner))
                {
                    participant.Requested[owner] = SecretKind.SelfMaskSeed;
                }
                else
                {
                    participant.Requested[owner] = SecretKind.MaskPrivateKey;
                    dropped.Add(new ParticipantIndex(owner));
                }
            }

            List<ConsistencyAttestation> attestations = [];
            if (_options.SecurityMode == SecAggSecurityMode.MaliciousServer)
            {
                foreach (int holder in _graph!.NeighboursOf(recipient).Append(recipient).Order()) // not null: built in stage 0
                {
                    if (_participants[holder].ConsistencySignature is byte[] signature && answering.Contains(holder))
                    {
                        attestations.Add(new ConsistencyAttestation(new ParticipantIndex(holder), signature));
                    }
                }
            }

            messages.Add(new UnmaskingRequest(SessionId, new ParticipantIndex(recipient), _survivors, dropped, attestations));
        }

        return Open(SecAggStage.Unmasking, recipients, messages);
    }

    private ServerStep CloseUnmasking()
    {
        int threshold = _options.Threshold;
        int[] dropped = [.. _sharing.Where(p => Array.BinarySearch(_survivors, new ParticipantIndex(p)) < 0)];
        foreach (ParticipantIndex survivor in _survivors)
        {
            int count = _seedShares.TryGetValue(survivor.Value, out List<ReadOnlyMemory<byte>>? shares) ? shares.Count : 0;
            if (count < threshold)
            {
                return Fail(SecAggError.InsufficientSurvivors, $"Only {count} holders revealed the self-mask seed shares of {survivor}; {threshold} are required.");
            }
        }

        foreach (int participant in dropped)
        {
            int count = _keyShares.TryGetValue(participant, out List<ReadOnlyMemory<byte>>? shares) ? shares.Count : 0;
            if (count < threshold)
            {
                return Fail(SecAggError.InsufficientSurvivors, $"Only {count} holders revealed the private-key shares of dropped #{participant}; {threshold} are required.");
            }
        }

        uint[] sum = _sum!; // not null: at least one masked input was accepted
        Dictionary<string, Fp127[]> lagrange = new(StringComparer.Ordinal);
        byte[] secret = new byte[ProtocolConstants.SecretLength];
        Span<byte> key = stackalloc byte[KeyDerivation.KeyLength];
        Span<byte> agreement = stackalloc byte[X25519.SharedSecretLength];
        using AesCtrMaskExpander expander = new();
        try
        {
            foreach (ParticipantIndex survivor in _survivors)
            {
                if (!ShamirSecretSharing.TryReconstruct(_seedShares[survivor.Value], threshold, secret, lagrange, out ShamirError error))
                {
                    return Fail(SecAggError.ReconstructionFailed, $"The self-mask seed of {survivor} could not be reconstructed ({error}).");
                }

                KeyDerivation.SelfMaskKey(secret, _session, survivor.Value, key);
                expander.Apply(key, sum, MaskDirection.Subtract);
            }

            foreach (int participant in dropped)
            {
                if (!ShamirSecretSharing.TryReconstruct(_keyShares[participant], threshold, secret, lagrange, out ShamirError error))
                {
                    return Fail(SecAggError.ReconstructionFailed, $"The mask private key of dropped #{participant} could not be reconstructed ({error}).");
                }

                if (!X25519.PublicKeyOf(secret).AsSpan().SequenceEqual(_participants[participant].Keys!.MaskPublicKey.Span)) // not null: advertised
                {
                    return Fail(SecAggError.ReconstructionFailed, $"The reconstructed mask private key of dropped #{participant} does not match its advertised public key.");
                }

                foreach (ParticipantIndex survivor in _survivors)
                {
                    if (Array.BinarySearch(_participants[survivor.Value].Sharers, participant) < 0)
                    {
                        continue;
                    }

                    if (!X25519.TryAgree(secret, _participants[survivor.Value].Keys!.MaskPublicKey.Span, agreement)) // not null: advertised
                    {
                        // Unreachable for keys accepted at advertisement (small-order keys are refused there).
                        return Fail(SecAggError.ReconstructionFailed, $"The mask key of {survivor} gave no agreement with dropped #{participant}.");
                    }

                    KeyDerivation.PairwiseMaskKey(agreement, _session, survivor.Value, participant, key);

                    // The survivor applied sgn(u, v) · PRG(K_uv) with sgn = +1 when u > v: undo it.
                    expander.Apply(key, sum, survivor.Value > participant ? MaskDirection.Subtract : MaskDirection.Add);
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
            key.Clear();
            agreement.Clear();
        }

        _sum = null;
        _stage = SecAggStage.Completed;
        Erase();
        return new ServerStep.Completed(new SecureSum(sum, _survivors));
    }

    private ServerStep.Send Open(SecAggStage stage, int[] expected, List<SecAggServerMessage> messages)
    {
        _stage = stage;
        _expected.Clear();
        _expected.UnionWith(expected);
        _responded.Clear();
        return new ServerStep.Send(stage, messages);
    }

    private ServerStep.Failed Fail(SecAggError error, string detail)
    {
        SecAggStage stage = _stage;
        _stage = SecAggStage.Failed;
        Erase();
        return new ServerStep.Failed(new SecAggFailure(error, stage, detail));
    }

    private void Erase()
    {
        if (_sum is not null)
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_sum.AsSpan()));
            _sum = null;
        }

        foreach (Dictionary<int, List<ReadOnlyMemory<byte>>> store in new[] { _seedShares, _keyShares })
        {
            foreach (List<ReadOnlyMemory<byte>> shares in store.Values)
            {
                foreach (ReadOnlyMemory<byte> share in shares)
                {
                    if (MemoryMarshal.TryGetArray(share, out ArraySegment<byte> segment))
                    {
                        CryptographicOperations.ZeroMemory(segment);
                    }
                }
            }

            store.Clear();
        }

        foreach (Participant? participant in _participants)
        {
            participant?.Clear();
        }
    }

    /// <summary>What the server knows about one participant.</summary>
    private sealed class Participant
    {
        public AdvertisedKeys? Keys { get; set; }

        public EncryptedShare[] Outgoing { get; set; } = [];

        public int[] Sharers { get; set; } = [];

        public byte[]? ConsistencySignature { get; set; }

        public Dictionary<int, SecretKind> Requested { get; } = [];

        public void Clear()
        {
            Outgoing = [];
        }
    }
}
