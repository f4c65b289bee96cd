namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>Which of a participant's two secrets a revealed share belongs to.</summary>
public enum SecretKind
{
    /// <summary>The self-mask seed b_v (revealed for survivors, to remove their self masks).</summary>
    SelfMaskSeed,

    /// <summary>The mask private key s_v^SK (revealed for dropped participants, to remove their pairwise masks).</summary>
    MaskPrivateKey,
}
