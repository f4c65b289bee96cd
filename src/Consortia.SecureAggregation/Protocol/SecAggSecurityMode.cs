namespace Consortia.SecureAggregation.Protocol;

/// <summary>The adversary the coordinator is assumed to be (design reference §2.3, §2.7).</summary>
public enum SecAggSecurityMode
{
    /// <summary>
    /// The coordinator follows the protocol but is curious: no signatures, no consistency round. Clients
    /// still validate every message and refuse to reveal both secrets of one participant.
    /// </summary>
    SemiHonest,

    /// <summary>
    /// The coordinator may deviate: key advertisements are signed with the sites' identity keys, and a
    /// signed consistency round (stage <see cref="SecAggStage.ConsistencyCheck"/>) precedes unmasking.
    /// Requires 2t &gt; (number of holders of each secret).
    /// </summary>
    MaliciousServer,
}
