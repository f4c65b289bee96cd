using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.SecureAggregation;

/// <summary>What a site needs to take part in a round's secure aggregation session (all of it public).</summary>
/// <param name="Session">The session options (participants, threshold, vector length).</param>
/// <param name="Quantization">The fixed-point encoding of the update vector.</param>
/// <param name="Participant">The site's 1-based index among the session's participants.</param>
/// <param name="ControlVariates">Whether the vector carries SCAFFOLD's control-variate delta.</param>
public sealed record SecureTrainingSession(SecAggSessionOptions Session, FixedPointOptions Quantization, int Participant, bool ControlVariates)
{
    /// <summary>Whether the vector carries adaptive clipping's b − ½ as its last coordinate.</summary>
    public bool UnclippedBit { get; init; }
}
