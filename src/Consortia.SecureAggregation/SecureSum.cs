namespace Consortia.SecureAggregation;

/// <summary>
/// The only output of a secure-aggregation session: the sum, mod 2^32, of the inputs of the
/// participants in <see cref="Contributors"/>, and who they are.
/// </summary>
/// <remarks>
/// No API of this library returns an individual participant's vector: the coordinator side sees masked
/// vectors (uniformly random on their own) and ends with this sum. Decode it with
/// <see cref="Quantization.FixedPointCodec.DecodeSum(ReadOnlySpan{uint}, Span{double})"/> using the
/// contributor count. Record equality is shallow (the array and list compare by reference).
/// </remarks>
/// <param name="Sum">Σ x_u mod 2^32 over the contributors; owned by the receiver.</param>
/// <param name="Contributors">The participants whose inputs are in the sum (U3), sorted.</param>
public sealed record SecureSum(uint[] Sum, IReadOnlyList<ParticipantIndex> Contributors);
