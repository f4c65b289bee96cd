namespace Consortia.SecureAggregation.Sharing;

/// <summary>Why a set of Shamir shares could not be decoded or reconstructed.</summary>
internal enum ShamirError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>Fewer shares than the threshold.</summary>
    TooFewShares,

    /// <summary>A share's byte length does not match the secret's limb layout.</summary>
    WrongLength,

    /// <summary>A share has x = 0 (which would be the secret itself).</summary>
    ZeroCoordinate,

    /// <summary>Two shares have the same x-coordinate.</summary>
    DuplicateCoordinate,

    /// <summary>A limb value is not below the field modulus.</summary>
    LimbOutOfField,

    /// <summary>A reconstructed limb does not fit its byte length (inconsistent or forged shares).</summary>
    LimbOverflow,
}
