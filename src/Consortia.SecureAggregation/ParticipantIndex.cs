using System.Globalization;

namespace Consortia.SecureAggregation;

/// <summary>
/// The 1-based index of a participant (site) in one secure-aggregation session.
/// </summary>
/// <remarks>
/// The coordinator numbers the selected sites 1..n in the order of their sorted identities. The index is
/// the Shamir x-coordinate of the shares that participant holds, the tie-breaker for pairwise mask signs
/// and the id used in every message. Values outside 1..n are representable so that hostile messages can
/// be decoded and then rejected with <see cref="Protocol.SecAggError.UnknownParticipant"/>.
/// </remarks>
/// <param name="Value">The index, 1-based.</param>
public readonly record struct ParticipantIndex(int Value) : IComparable<ParticipantIndex>
{
    /// <inheritdoc />
    public int CompareTo(ParticipantIndex other) => Value.CompareTo(other.Value);

    /// <summary>Compares two indices.</summary>
    /// <param name="left">The left index.</param>
    /// <param name="right">The right index.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> is smaller.</returns>
    public static bool operator <(ParticipantIndex left, ParticipantIndex right) => left.Value < right.Value;

    /// <summary>Compares two indices.</summary>
    /// <param name="left">The left index.</param>
    /// <param name="right">The right index.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> is larger.</returns>
    public static bool operator >(ParticipantIndex left, ParticipantIndex right) => left.Value > right.Value;

    /// <summary>Compares two indices.</summary>
    /// <param name="left">The left index.</param>
    /// <param name="right">The right index.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> is smaller or equal.</returns>
    public static bool operator <=(ParticipantIndex left, ParticipantIndex right) => left.Value <= right.Value;

    /// <summary>Compares two indices.</summary>
    /// <param name="left">The left index.</param>
    /// <param name="right">The right index.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> is larger or equal.</returns>
    public static bool operator >=(ParticipantIndex left, ParticipantIndex right) => left.Value >= right.Value;

    /// <inheritdoc />
    public override string ToString() => "#" + Value.ToString(CultureInfo.InvariantCulture);
}
