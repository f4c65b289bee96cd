namespace Consortia.SecureAggregation.Masking;

/// <summary>Whether a mask is added to or subtracted from a vector.</summary>
internal enum MaskDirection
{
    /// <summary>Add the mask (mod 2^32).</summary>
    Add,

    /// <summary>Subtract the mask (mod 2^32).</summary>
    Subtract,
}
