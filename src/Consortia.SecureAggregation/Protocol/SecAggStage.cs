namespace Consortia.SecureAggregation.Protocol;

/// <summary>The stages of one secure-aggregation session, in order.</summary>
public enum SecAggStage
{
    /// <summary>Round 0: every participant advertises two fresh public keys.</summary>
    AdvertiseKeys,

    /// <summary>Round 1: participants send encrypted Shamir shares of their secrets, routed by the server.</summary>
    ShareKeys,

    /// <summary>Round 2: participants send their masked input vectors.</summary>
    CollectMaskedInputs,

    /// <summary>Round 3 (malicious-server mode only): participants sign the survivor list.</summary>
    ConsistencyCheck,

    /// <summary>Round 4: participants reveal the shares needed to remove the masks.</summary>
    Unmasking,

    /// <summary>The session ended with the sum.</summary>
    Completed,

    /// <summary>The session ended without output.</summary>
    Failed,
}
