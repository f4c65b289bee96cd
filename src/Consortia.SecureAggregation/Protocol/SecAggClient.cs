using System.Diagnostics;
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
/// The participant (site) side of SecAgg / SecAgg+ (Bonawitz et al. 2017; Bell et al. 2020) as a pure state
/// machine: each server message in gives one <see cref="ClientStep"/> out. No I/O, no clock; randomness only
/// from the injected <see cref="ISecureRandom"/>.
/// </summary>
/// <remarks>
/// <para>Every server message is validated (session, recipient, stage, list contents, key validity,
/// signatures, AEAD). Messages for another session or recipient are ignored; any other violation aborts the
/// session: secrets are erased and nothing more is answered.</para>
/// <para>The client never reveals both the self-mask seed share and the private-key share of one participant:
/// it answers exactly one unmasking request, and refuses one that lists a participant as both survivor and
/// dropped.</para>
/// <para>Not thread-safe: feed messages one at a time. Dispose to erase key material early.</para>
/// </remarks>
public sealed class SecAggClient : IDisposable
{
    private readonly SecAggSessionOptions _options;
    private readonly ISecureRandom _random;
    private readonly ISigner? _signer;
    private readonly ISignatureVerifier? _verifier;
    private readonly byte[] _session;

    private SecAggStage _stage = SecAggStage.AdvertiseKeys;
    private byte[]? _cipherKey;
    private byte[]? _maskKey;
    private byte[]? _cipherPublic;
    private byte[]? _maskPublic;
    private uint[]? _input;

    // Set when the roster is accepted.
    private int[] _neighbours = [];
    private HashSet<int> _holders = [];
    private HashSet<int> _advertised = [];
    private readonly Dictionary<int, byte[]> _pairMaskKeys = [];
    private readonly Dictionary<int, byte[]> _encryptionKeys = [];
    private byte[]? _selfSeed;

    // Set when the shares are delivered: shares this client holds, by owner (itself included).
    private readonly Dictionary<int, HeldShares> _held = [];
    private int[] _sharers = [];

    // Malicious-server mode: the survivor list this client signed.
    private ParticipantIndex[]? _signedSurvivors;

    /// <summary>Creates the client of participant <paramref name="self"/> for one session.</summary>
    /// <param name="options">The session options, as received from the coordinator.</param>
    /// <param name="self">This participant's index.</param>
    /// <param name="random">Cryptographic randomness for keys, seeds and shares.</param>
    /// <param name="signer">This site's identity signer; required in malicious-server mode.</param>
    /// <param name="verifier">Verifier of the other sites' signatures; required in malicious-server mode.</param>
    /// <exception cref="ArgumentException">The options are invalid or <paramref name="self"/> is not a participant.</exception>
    /// <exception cref="ArgumentNullException">A required dependency is missing.</exception>
    public SecAggClient(SecAggSessionOptions options, ParticipantIndex self, ISecureRandom random, ISigner? signer = null, ISignatureVerifier? verifier = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        SessionId = options.ComputeSessionId();
        if (self.Value < 1 || self.Value > options.ParticipantCount)
        {
            throw new ArgumentException($"Participant {self} is not in 1..{options.ParticipantCount}.", nameof(self));
        }

        if (options.SecurityMode == SecAggSecurityMode.MaliciousServer)
        {
            ArgumentNullException.ThrowIfNull(signer);
            ArgumentNullException.ThrowIfNull(verifier);
        }

        _options = options;
        _random = random;
        _signer = signer;
        _verifier = verifier;
        _session = SessionId.ToArray();
        Self = self;
    }

    /// <summary>This participant's index.</summary>
    public ParticipantIndex Self { get; }

    /// <summary>The session id computed from the options.</summary>
    public SessionId SessionId { get; }

    /// <summary>The stage whose server message the client awaits; <see cref="SecAggStage.Completed"/> or <see cref="SecAggStage.Failed"/> when over.</summary>
    public SecAggStage Stage => _stage;

    /// <summary>Gives the client its input x_u; must happen before the <see cref="ShareDelivery"/> is handled.</summary>
    /// <param name="input">The input vector over Z_{2^32} (e.g. from <see cref="Quantization.FixedPointCodec"/>); copied.</param>
    /// <exception cref="ArgumentException">The length is not the session's vector length.</exception>
    /// <exception cref="InvalidOperationException">The masked input was already sent, or the session ended.</exception>
    public void ProvideInput(ReadOnlySpan<uint> input)
    {
        if (input.Length != _options.VectorLength)
        {
            throw new ArgumentException($"The input must have {_options.VectorLength} coordinates, got {input.Length}.", nameof(input));
        }

        if (_stage > SecAggStage.CollectMaskedInputs)
        {
            throw new InvalidOperationException($"The input can no longer change: the client is at stage {_stage}.");
        }

        EraseInput();
        _input = input.ToArray();
    }

    /// <summary>Processes one message from the server.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The reply to send, or why the message was ignored or the session aborted.</returns>
    public ClientStep Handle(SecAggServerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Session != SessionId)
        {
            return new ClientStep.Rejected(new SecAggRejection(SecAggError.WrongSession, null, "The message belongs to another session."));
        }

        if (message.Recipient != Self)
        {
            return new ClientStep.Rejected(new SecAggRejection(SecAggError.WrongRecipient, message.Recipient, $"The message is addressed to {message.Recipient}, not {Self}."));
        }

        if (_stage is SecAggStage.Completed or SecAggStage.Failed)
        {
            return new ClientStep.Rejected(new SecAggRejection(SecAggError.WrongStage, null, $"The session has ended ({_stage}); {message.GetType().Name} is not answered."));
        }

        return (_stage, message) switch
        {
            (SecAggStage.AdvertiseKeys, AdvertiseKeysRequest) => OnAdvertiseRequest(),
            (SecAggStage.ShareKeys, KeyRoster roster) => OnRoster(roster),
            (SecAggStage.CollectMaskedInputs, ShareDelivery delivery) => OnDelivery(delivery),
            (SecAggStage.ConsistencyCheck, ConsistencyRequest request) => OnConsistencyRequest(request),
            (SecAggStage.Unmasking, UnmaskingRequest request) => OnUnmaskingRequest(request),
            _ => Abort(SecAggError.WrongStage, null, $"{message.GetType().Name} is not expected at stage {_stage}."),
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_stage is not SecAggStage.Completed)
        {
            _stage = SecAggStage.Failed;
        }

        EraseSecrets();
    }

    private ClientStep.Reply OnAdvertiseRequest()
    {
        _cipherKey = X25519.GeneratePrivateKey(_random);
        _maskKey = X25519.GeneratePrivateKey(_random);
        _cipherPublic = X25519.PublicKeyOf(_cipherKey);
        _maskPublic = X25519.PublicKeyOf(_maskKey);
        byte[]? signature = _options.SecurityMode == SecAggSecurityMode.MaliciousServer
            ? _signer!.Sign(SigningPayloads.Advertisement(SessionId, Self, _cipherPublic, _maskPublic)) // not null: checked in the constructor
            : null;
        _stage = SecAggStage.ShareKeys;
        return new ClientStep.Reply(new KeyAdvertisement(SessionId, Self, _cipherPublic, _maskPublic, signature));
    }

    private ClientStep OnRoster(KeyRoster roster)
    {
        Debug.Assert(_cipherKey is not null && _maskKey is not null && _cipherPublic is not null && _maskPublic is not null, "keys exist after round 0");
        if (roster.Keys is null)
        {
            return Abort(SecAggError.WrongLength, null, "The key roster has no key list.");
        }

        List<AdvertisedKeys> entries = new(roster.Keys.Count);
        HashSet<int> seen = [];
        HashSet<string> distinctKeys = new(StringComparer.Ordinal);
        bool ownFound = false;
        foreach (AdvertisedKeys? entry in roster.Keys)
        {
            if (entry is null)
            {
                return Abort(SecAggError.WrongLength, null, "The key roster has an empty entry.");
            }

            ParticipantIndex who = entry.Participant;
            if (who.Value < 1 || who.Value > _options.ParticipantCount)
            {
                return Abort(SecAggError.UnknownParticipant, who, $"The roster lists {who}, who is not a participant.");
            }

            if (!seen.Add(who.Value))
            {
                return Abort(SecAggError.DuplicateMessage, who, $"The roster lists {who} twice.");
            }

            if (entry.CipherPublicKey.Length != X25519.PublicKeyLength || entry.MaskPublicKey.Length != X25519.PublicKeyLength)
            {
                return Abort(SecAggError.WrongLength, who, $"The public keys of {who} are not {X25519.PublicKeyLength} bytes.");
            }

            if (!distinctKeys.Add(Convert.ToHexString(entry.CipherPublicKey.Span)) || !distinctKeys.Add(Convert.ToHexString(entry.MaskPublicKey.Span)))
            {
                return Abort(SecAggError.DuplicatePublicKey, who, $"A public key of {who} repeats another advertised key.");
            }

            if (_options.SecurityMode == SecAggSecurityMode.MaliciousServer)
            {
                if (entry.Signature is not ReadOnlyMemory<byte> signature)
                {
                    return Abort(SecAggError.MissingSignature, who, $"The keys of {who} are not signed.");
                }

                byte[] payload = SigningPayloads.Advertisement(SessionId, who, entry.CipherPublicKey.Span, entry.MaskPublicKey.Span);
                if (!_verifier!.Verify(who, payload, signature.Span)) // not null: checked in the constructor
                {
                    return Abort(SecAggError.InvalidSignature, who, $"The key signature of {who} does not verify.");
                }
            }

            if (who == Self)
            {
                if (!entry.CipherPublicKey.Span.SequenceEqual(_cipherPublic) || !entry.MaskPublicKey.Span.SequenceEqual(_maskPublic))
                {
                    return Abort(SecAggError.OwnKeysAltered, who, "The roster carries keys for this participant that it did not advertise.");
                }

                ownFound = true;
            }

            entries.Add(entry);
        }

        if (!ownFound)
        {
            return Abort(SecAggError.OwnKeysAltered, Self, "The roster omits this participant's keys.");
        }

        if (entries.Count < _options.RequiredSurvivors)
        {
            return Abort(SecAggError.InsufficientSurvivors, null, $"The roster has {entries.Count} participants; at least {_options.RequiredSurvivors} are required.");
        }

        entries.Sort((a, b) => a.Participant.CompareTo(b.Participant));
        byte[] graphSeed = ProtocolConstants.GraphSeed(SessionId, entries.Select(e => (e.Participant.Value, e.CipherPublicKey, e.MaskPublicKey)));
        int[] members = [.. entries.Select(e => e.Participant.Value)];
        NeighbourGraph graph = NeighbourGraph.Build(members, _options.IsCompleteGraph ? null : _options.Neighbours, graphSeed);
        _neighbours = [.. graph.NeighboursOf(Self.Value)];
        if (_neighbours.Length + 1 < _options.Threshold)
        {
            return Abort(SecAggError.InsufficientSurvivors, null, $"Only {_neighbours.Length} neighbours advertised keys; threshold {_options.Threshold} needs {_options.Threshold - 1}.");
        }

        _holders = [.. _neighbours, Self.Value];
        _advertised = [.. members];
        Dictionary<int, AdvertisedKeys> byIndex = entries.ToDictionary(e => e.Participant.Value);
        Span<byte> agreement = stackalloc byte[X25519.SharedSecretLength];
        foreach (int neighbour in _neighbours)
        {
            // Both agreements happen here, once per neighbour: a key of small order is refused before any
            // share is sent, and masking later needs only the derived K_uv (no second pass over the keys).
            AdvertisedKeys keys = byIndex[neighbour];
            if (!X25519.TryAgree(_cipherKey, keys.CipherPublicKey.Span, agreement))
            {
                return Abort(SecAggError.InvalidPublicKey, keys.Participant, $"The encryption key of {keys.Participant} is a point of small order.");
            }

            byte[] encryptionKey = new byte[KeyDerivation.KeyLength];
            KeyDerivation.EncryptionKey(agreement, _session, Self.Value, neighbour, encryptionKey);
            _encryptionKeys[neighbour] = encryptionKey;
            if (!X25519.TryAgree(_maskKey, keys.MaskPublicKey.Span, agreement))
            {
                return Abort(SecAggError.InvalidPublicKey, keys.Participant, $"The mask key of {keys.Participant} is a point of small order.");
            }

            byte[] maskKey = new byte[KeyDerivation.KeyLength];
            KeyDerivation.PairwiseMaskKey(agreement, _session, Self.Value, neighbour, maskKey);
            _pairMaskKeys[neighbour] = maskKey;
        }

        agreement.Clear();
        return ShareSecrets();
    }

    private ClientStep.Reply ShareSecrets()
    {
        Debug.Assert(_maskKey is not null, "keys exist after round 0");
        _selfSeed = new byte[ProtocolConstants.SecretLength];
        _random.Fill(_selfSeed);
        int[] holders = [.. _holders.Order()];
        byte[] scalar = new byte[ProtocolConstants.SecretLength];
        byte[][] keyShares;
        byte[][] seedShares;
        try
        {
            _maskKey.CopyTo(scalar, 0);
            keyShares = ShamirSecretSharing.Split(scalar, _options.Threshold, holders, _random);
            seedShares = ShamirSecretSharing.Split(_selfSeed, _options.Threshold, holders, _random);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }

        List<EncryptedShare> outgoing = new(holders.Length - 1);
        byte[] plaintext = new byte[ProtocolConstants.SharePlaintextLength];
        for (int i = 0; i < holders.Length; i++)
        {
            int holder = holders[i];
            if (holder == Self.Value)
            {
                _held[holder] = new HeldShares(keyShares[i], seedShares[i]);
                continue;
            }

            keyShares[i].CopyTo(plaintext, 0);
            seedShares[i].CopyTo(plaintext, ProtocolConstants.ShareLength);
            byte[] ciphertext = ShareCipher.Encrypt(_encryptionKeys[holder], _session, Self.Value, holder, plaintext);
            CryptographicOperations.ZeroMemory(keyShares[i]);
            CryptographicOperations.ZeroMemory(seedShares[i]);
            outgoing.Add(new EncryptedShare(Self, new ParticipantIndex(holder), ciphertext));
        }

        CryptographicOperations.ZeroMemory(plaintext);
        _stage = SecAggStage.CollectMaskedInputs;
        return new ClientStep.Reply(new EncryptedShares(SessionId, Self, outgoing));
    }

    private ClientStep OnDelivery(ShareDelivery delivery)
    {
        if (_input is null)
        {
            return new ClientStep.Rejected(new SecAggRejection(SecAggError.InputNotProvided, Self, "ProvideInput must be called before the share delivery is handled."));
        }

        if (delivery.Shares is null)
        {
            return Abort(SecAggError.WrongLength, null, "The share delivery has no share list.");
        }

        HashSet<int> senders = [];
        foreach (EncryptedShare? share in delivery.Shares)
        {
            if (share is null)
            {
                return Abort(SecAggError.WrongLength, null, "The share delivery has an empty entry.");
            }

            if (share.Recipient != Self)
            {
                return Abort(SecAggError.WrongRecipient, share.Sender, $"A delivered share from {share.Sender} is addressed to {share.Recipient}.");
            }

            if (!_encryptionKeys.ContainsKey(share.Sender.Value))
            {
                return Abort(SecAggError.NotANeighbour, share.Sender, $"A delivered share comes from {share.Sender}, who is not a neighbour.");
            }

            if (!senders.Add(share.Sender.Value))
            {
                return Abort(SecAggError.DuplicateMessage, share.Sender, $"Two shares from {share.Sender} were delivered.");
            }

            if (share.Ciphertext.Length != ProtocolConstants.CiphertextLength)
            {
                return Abort(SecAggError.WrongLength, share.Sender, $"The share from {share.Sender} is {share.Ciphertext.Length} bytes, expected {ProtocolConstants.CiphertextLength}.");
            }
        }

        if (senders.Count + 1 < _options.Threshold)
        {
            return Abort(SecAggError.InsufficientSurvivors, null, $"Only {senders.Count} neighbours shared keys; threshold {_options.Threshold} needs {_options.Threshold - 1}.");
        }

        byte[] plaintext = new byte[ProtocolConstants.SharePlaintextLength];
        Span<Fp127> limbs = stackalloc Fp127[ShamirSecretSharing.LimbCount(ProtocolConstants.SecretLength)];
        try
        {
            foreach (EncryptedShare share in delivery.Shares)
            {
                int sender = share.Sender.Value;
                if (!ShareCipher.TryDecrypt(_encryptionKeys[sender], _session, sender, Self.Value, share.Ciphertext.Span, plaintext))
                {
                    return Abort(SecAggError.ShareDecryptionFailed, share.Sender, $"The share from {share.Sender} does not authenticate.");
                }

                ReadOnlySpan<byte> keyShare = plaintext.AsSpan(0, ProtocolConstants.ShareLength);
                ReadOnlySpan<byte> seedShare = plaintext.AsSpan(ProtocolConstants.ShareLength, ProtocolConstants.ShareLength);
                if (!ShamirSecretSharing.TryDecode(keyShare, ProtocolConstants.SecretLength, out int keyX, limbs, out _)
                    || !ShamirSecretSharing.TryDecode(seedShare, ProtocolConstants.SecretLength, out int seedX, limbs, out _)
                    || keyX != Self.Value
                    || seedX != Self.Value)
                {
                    return Abort(SecAggError.MalformedShare, share.Sender, $"The decrypted share from {share.Sender} is malformed or not for this participant.");
                }

                _held[sender] = new HeldShares(keyShare.ToArray(), seedShare.ToArray());
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            limbs.Clear();
        }

        _sharers = [.. senders.Order()];
        // The input is this client's own copy (ProvideInput): mask it in place, so no plaintext copy remains.
        uint[] masked = _input;
        _input = null;
        Mask(masked);
        foreach (byte[] key in _encryptionKeys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }

        _encryptionKeys.Clear();
        _stage = _options.SecurityMode == SecAggSecurityMode.MaliciousServer ? SecAggStage.ConsistencyCheck : SecAggStage.Unmasking;
        return new ClientStep.Reply(new MaskedInput(SessionId, Self, masked));
    }

    private void Mask(uint[] masked)
    {
        Debug.Assert(_selfSeed is not null, "secrets exist after round 1");
        Span<byte> key = stackalloc byte[KeyDerivation.KeyLength];
        using AesCtrMaskExpander expander = new();
        try
        {
            KeyDerivation.SelfMaskKey(_selfSeed, _session, Self.Value, key);
            expander.Apply(key, masked, MaskDirection.Add);
            foreach (int neighbour in _sharers)
            {
                expander.Apply(_pairMaskKeys[neighbour], masked, Self.Value > neighbour ? MaskDirection.Add : MaskDirection.Subtract);
            }
        }
        finally
        {
            key.Clear();
        }

        ErasePairMaskKeys();
    }

    private ClientStep OnConsistencyRequest(ConsistencyRequest request)
    {
        if (ValidateSurvivors(request.Survivors) is ClientStep.Aborted aborted)
        {
            return aborted;
        }

        _signedSurvivors = [.. request.Survivors];
        byte[] signature = _signer!.Sign(SigningPayloads.Consistency(SessionId, _signedSurvivors)); // not null: malicious mode requires it
        _stage = SecAggStage.Unmasking;
        return new ClientStep.Reply(new ConsistencySignature(SessionId, Self, signature));
    }

    private ClientStep OnUnmaskingRequest(UnmaskingRequest request)
    {
        if (ValidateSurvivors(request.Survivors) is ClientStep.Aborted aborted)
        {
            return aborted;
        }

        if (request.Dropped is null || request.Attestations is null)
        {
            return Abort(SecAggError.WrongLength, null, "The unmasking request lacks its dropped or attestation list.");
        }

        HashSet<int> survivors = [.. request.Survivors.Select(s => s.Value)];
        HashSet<int> dropped = [];
        foreach (ParticipantIndex participant in request.Dropped)
        {
            if (survivors.Contains(participant.Value))
            {
                return Abort(SecAggError.ConflictingUnmaskingRequest, participant, $"{participant} is listed both as survivor and as dropped; revealing both of its secrets would expose its input.");
            }

            if (!dropped.Add(participant.Value))
            {
                return Abort(SecAggError.DuplicateMessage, participant, $"{participant} is listed twice as dropped.");
            }

            if (Array.BinarySearch(_sharers, participant.Value) < 0)
            {
                return Abort(SecAggError.InconsistentSurvivors, participant, $"{participant} is listed as dropped but never shared keys with this participant.");
            }
        }

        if (_options.SecurityMode == SecAggSecurityMode.MaliciousServer && CheckAttestations(request) is ClientStep.Aborted rejected)
        {
            return rejected;
        }

        List<RevealedShare> revealed = new(_held.Count);
        foreach ((int owner, HeldShares shares) in _held.OrderBy(pair => pair.Key))
        {
            if (survivors.Contains(owner))
            {
                revealed.Add(new RevealedShare(new ParticipantIndex(owner), SecretKind.SelfMaskSeed, shares.SeedShare.ToArray()));
            }
            else if (dropped.Contains(owner))
            {
                revealed.Add(new RevealedShare(new ParticipantIndex(owner), SecretKind.MaskPrivateKey, shares.KeyShare.ToArray()));
            }
        }

        _stage = SecAggStage.Completed;
        EraseSecrets();
        return new ClientStep.Reply(new UnmaskingShares(SessionId, Self, revealed));
    }

    private ClientStep.Aborted? CheckAttestations(UnmaskingRequest request)
    {
        Debug.Assert(_signedSurvivors is not null, "malicious mode signs before unmasking");
        if (!request.Survivors.SequenceEqual(_signedSurvivors))
        {
            return Abort(SecAggError.SurvivorListMismatch, null, "The survivor list differs from the one this participant signed.");
        }

        byte[] payload = SigningPayloads.Consistency(SessionId, _signedSurvivors);
        HashSet<int> validSigners = [];
        foreach (ConsistencyAttestation? attestation in request.Attestations)
        {
            if (attestation is null || !_holders.Contains(attestation.Signer.Value) || validSigners.Contains(attestation.Signer.Value))
            {
                continue;
            }

            if (_verifier!.Verify(attestation.Signer, payload, attestation.Signature.Span)) // not null: malicious mode requires it
            {
                validSigners.Add(attestation.Signer.Value);
                if (validSigners.Count >= _options.Threshold)
                {
                    break; // t valid signatures from distinct holders suffice; verifying more would only cost time
                }
            }
        }

        if (validSigners.Count < _options.Threshold)
        {
            return Abort(SecAggError.InsufficientAttestations, null, $"{validSigners.Count} valid consistency signatures from distinct holders; {_options.Threshold} are required.");
        }

        return null;
    }

    private ClientStep.Aborted? ValidateSurvivors(IReadOnlyList<ParticipantIndex>? survivors)
    {
        if (survivors is null)
        {
            return Abort(SecAggError.WrongLength, null, "The request has no survivor list.");
        }

        int previous = 0;
        bool self = false;
        foreach (ParticipantIndex survivor in survivors)
        {
            if (survivor.Value < 1 || survivor.Value > _options.ParticipantCount)
            {
                return Abort(SecAggError.UnknownParticipant, survivor, $"The survivor list names {survivor}, who is not a participant.");
            }

            if (survivor.Value <= previous)
            {
                return Abort(SecAggError.DuplicateMessage, survivor, "The survivor list is not strictly ascending (a participant is repeated or out of order).");
            }

            previous = survivor.Value;
            self |= survivor == Self;
            if (!_advertised.Contains(survivor.Value))
            {
                return Abort(SecAggError.InconsistentSurvivors, survivor, $"{survivor} is listed as survivor but never advertised keys.");
            }

            if (survivor != Self && _holders.Contains(survivor.Value) && Array.BinarySearch(_sharers, survivor.Value) < 0)
            {
                return Abort(SecAggError.InconsistentSurvivors, survivor, $"Neighbour {survivor} is listed as survivor but never shared keys with this participant.");
            }
        }

        if (!self)
        {
            return Abort(SecAggError.InconsistentSurvivors, Self, "The survivor list omits this participant, which sent its masked input.");
        }

        if (survivors.Count < _options.RequiredSurvivors)
        {
            return Abort(SecAggError.InsufficientSurvivors, null, $"Only {survivors.Count} survivors; refusing to unmask an aggregate of fewer than {_options.RequiredSurvivors}.");
        }

        return null;
    }

    private ClientStep.Aborted Abort(SecAggError error, ParticipantIndex? participant, string detail)
    {
        _stage = SecAggStage.Failed;
        EraseSecrets();
        return new ClientStep.Aborted(new SecAggRejection(error, participant, detail));
    }

    private void EraseInput()
    {
        if (_input is not null)
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_input.AsSpan()));
            _input = null;
        }
    }

    private void ErasePairMaskKeys()
    {
        foreach (byte[] key in _pairMaskKeys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }

        _pairMaskKeys.Clear();
    }

    private void EraseSecrets()
    {
        EraseInput();
        ErasePairMaskKeys();
        foreach (byte[] key in _encryptionKeys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }

        _encryptionKeys.Clear();
        foreach (HeldShares shares in _held.Values)
        {
            CryptographicOperations.ZeroMemory(shares.KeyShare);
            CryptographicOperations.ZeroMemory(shares.SeedShare);
        }

        _held.Clear();
        if (_selfSeed is not null)
        {
            CryptographicOperations.ZeroMemory(_selfSeed);
            _selfSeed = null;
        }

        if (_cipherKey is not null)
        {
            CryptographicOperations.ZeroMemory(_cipherKey);
            _cipherKey = null;
        }

        if (_maskKey is not null)
        {
            CryptographicOperations.ZeroMemory(_maskKey);
            _maskKey = null;
        }
    }

    /// <summary>The two shares this client holds of one owner's secrets.</summary>
    private sealed record HeldShares(byte[] KeyShare, byte[] SeedShare);
}
