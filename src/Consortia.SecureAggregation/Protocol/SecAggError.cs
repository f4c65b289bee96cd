namespace Consortia.SecureAggregation.Protocol;

/// <summary>Why a protocol message was rejected, a participant aborted, or the server failed a session.</summary>
public enum SecAggError
{
    /// <summary>The message belongs to another session (replay across rounds or jobs).</summary>
    WrongSession,

    /// <summary>The message is addressed to another participant.</summary>
    WrongRecipient,

    /// <summary>The message belongs to a past or future stage, or the session has ended.</summary>
    WrongStage,

    /// <summary>The sender or a listed participant is not a participant of this session (or not of the current set).</summary>
    UnknownParticipant,

    /// <summary>A second message from the same sender in one stage, or a participant listed twice.</summary>
    DuplicateMessage,

    /// <summary>A key, ciphertext, share, signature or vector has the wrong length.</summary>
    WrongLength,

    /// <summary>A public key is not a valid X25519 public key (a point of small order, whose agreements are all zeros).</summary>
    InvalidPublicKey,

    /// <summary>Two advertised public keys are equal.</summary>
    DuplicatePublicKey,

    /// <summary>A signature required in malicious-server mode is absent.</summary>
    MissingSignature,

    /// <summary>A signature does not verify against the signer's identity key.</summary>
    InvalidSignature,

    /// <summary>The key roster does not contain the participant's own keys unchanged.</summary>
    OwnKeysAltered,

    /// <summary>Fewer participants remain than the threshold or minimum aggregate size allows.</summary>
    InsufficientSurvivors,

    /// <summary>A share was routed from or to a participant outside the sender's neighbourhood.</summary>
    NotANeighbour,

    /// <summary>The set of encrypted shares is not exactly one per holder.</summary>
    WrongShareSet,

    /// <summary>An encrypted share failed authentication (wrong key, tampered, or bound to another session, sender or recipient).</summary>
    ShareDecryptionFailed,

    /// <summary>A decrypted or revealed share is malformed (length, x-coordinate, field range).</summary>
    MalformedShare,

    /// <summary>The server asked for both the self-mask seed share and the private-key share of one participant.</summary>
    ConflictingUnmaskingRequest,

    /// <summary>A survivor list omits the recipient or lists a neighbour that never sent it shares.</summary>
    InconsistentSurvivors,

    /// <summary>The survivor list differs from the one the participant signed.</summary>
    SurvivorListMismatch,

    /// <summary>Fewer than t valid consistency signatures from distinct holders.</summary>
    InsufficientAttestations,

    /// <summary>A revealed share was not requested, or a requested share is missing.</summary>
    UnrequestedShare,

    /// <summary>The participant's input was not provided before the masking stage.</summary>
    InputNotProvided,

    /// <summary>A reconstructed secret is inconsistent (a private key that does not match its advertised public key).</summary>
    ReconstructionFailed,
}
