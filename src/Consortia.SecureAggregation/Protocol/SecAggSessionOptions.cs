using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Consortia.SecureAggregation.Protocol;

/// <summary>
/// Everything the coordinator and every participant must agree on for one secure-aggregation session.
/// </summary>
/// <remarks>
/// <para>Participant <c>i</c> (1-based) is <c>Participants[i − 1]</c>; the list must be sorted (ordinal)
/// so the numbering is canonical. <see cref="ComputeSessionId"/> hashes a canonical encoding of all
/// fields, and every participant recomputes it from the options it received: a coordinator that sends
/// different options to different sites produces different session ids, and their messages are rejected.</para>
/// <para>Record equality is shallow: <see cref="Participants"/> and <see cref="ApplicationContext"/>
/// compare by reference. Compare session ids to compare sessions.</para>
/// </remarks>
public sealed record SecAggSessionOptions
{
    /// <summary>The protocol version bound into every session id.</summary>
    public const string ProtocolVersion = "consortia.secagg.v2";

    /// <summary>The largest supported vector length (coordinates).</summary>
    public const int MaxVectorLength = 1 << 28;

    /// <summary>The job the session belongs to.</summary>
    /// <value>Required; not empty.</value>
    public required string JobId { get; init; }

    /// <summary>The federated round the session belongs to.</summary>
    /// <value>Required; not negative.</value>
    public required long RoundNumber { get; init; }

    /// <summary>The identities (site ids or certificate fingerprints) of the selected participants, sorted ordinally.</summary>
    /// <value>Required; at least 3, distinct, non-empty, sorted.</value>
    public required IReadOnlyList<string> Participants { get; init; }

    /// <summary>The number of coordinates of each input vector (elements of Z_{2^32}).</summary>
    /// <value>Required; 1 to <see cref="MaxVectorLength"/>.</value>
    public required int VectorLength { get; init; }

    /// <summary>The Shamir reconstruction threshold t.</summary>
    /// <value>Required; at least 2 and at most the number of holders of a secret (k + 1, or n for the complete graph).</value>
    public required int Threshold { get; init; }

    /// <summary>The degree k of the SecAgg+ neighbour graph, or <see langword="null"/> for the complete graph.</summary>
    /// <value>Default <see langword="null"/> (complete graph, classic SecAgg). An even number in [2, n − 2], or n − 1 (complete graph).</value>
    public int? Neighbours { get; init; }

    /// <summary>The threat model.</summary>
    /// <value>Default <see cref="SecAggSecurityMode.SemiHonest"/>.</value>
    public SecAggSecurityMode SecurityMode { get; init; } = SecAggSecurityMode.SemiHonest;

    /// <summary>The smallest number of inputs a sum may contain; clients refuse to unmask smaller aggregates.</summary>
    /// <value>Default 3; at least 3 and at most n. The effective minimum is max(t, this).</value>
    public int MinimumAggregateSize { get; init; } = 3;

    /// <summary>Opaque caller data bound into the session id (e.g. the quantisation parameters).</summary>
    /// <value>Default empty.</value>
    public ReadOnlyMemory<byte> ApplicationContext { get; init; }

    /// <summary>The number of participants n.</summary>
    public int ParticipantCount => Participants.Count;

    /// <summary>Whether every participant is a neighbour of every other (classic SecAgg).</summary>
    public bool IsCompleteGraph => Neighbours is null || Neighbours.Value >= Participants.Count - 1;

    /// <summary>The number of holders of each secret: n for the complete graph, k + 1 otherwise.</summary>
    public int HolderCount => IsCompleteGraph ? Participants.Count : Neighbours!.Value + 1; // not null: IsCompleteGraph is false

    /// <summary>max(t, <see cref="MinimumAggregateSize"/>): the smallest survivor set the protocol accepts.</summary>
    public int RequiredSurvivors => Math.Max(Threshold, MinimumAggregateSize);

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A field is invalid; the message names it.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(JobId))
        {
            throw new ArgumentException("JobId must not be empty.", nameof(JobId));
        }

        if (RoundNumber < 0)
        {
            throw new ArgumentException($"RoundNumber must not be negative, got {RoundNumber}.", nameof(RoundNumber));
        }

        if (Participants is null || Participants.Count < 3)
        {
            throw new ArgumentException("Participants must list at least 3 sites: with fewer, the sum reveals the inputs.", nameof(Participants));
        }

        for (int i = 0; i < Participants.Count; i++)
        {
            if (string.IsNullOrEmpty(Participants[i]))
            {
                throw new ArgumentException($"Participants[{i}] is empty.", nameof(Participants));
            }

            if (i > 0 && string.CompareOrdinal(Participants[i - 1], Participants[i]) >= 0)
            {
                throw new ArgumentException($"Participants must be distinct and sorted ordinally; Participants[{i}] = '{Participants[i]}' does not follow '{Participants[i - 1]}'.", nameof(Participants));
            }
        }

        int n = Participants.Count;
        if (VectorLength < 1 || VectorLength > MaxVectorLength)
        {
            throw new ArgumentException($"VectorLength must be in [1, {MaxVectorLength}], got {VectorLength}.", nameof(VectorLength));
        }

        if (Neighbours is int k && k < n - 1 && (k < 2 || k % 2 != 0))
        {
            throw new ArgumentException($"Neighbours must be an even number in [2, {n - 2}] or {n - 1} (complete graph), got {k}.", nameof(Neighbours));
        }

        if (Neighbours > n - 1)
        {
            throw new ArgumentException($"Neighbours must be at most n - 1 = {n - 1}, got {Neighbours}.", nameof(Neighbours));
        }

        int holders = HolderCount;
        if (Threshold < 2 || Threshold > holders)
        {
            throw new ArgumentException($"Threshold must be in [2, {holders}] (the number of holders of each secret), got {Threshold}.", nameof(Threshold));
        }

        if (SecurityMode == SecAggSecurityMode.MaliciousServer && 2 * Threshold <= holders)
        {
            throw new ArgumentException($"Threshold must exceed half the holders ({holders}) in malicious-server mode, got {Threshold}.", nameof(Threshold));
        }

        if (!Enum.IsDefined(SecurityMode))
        {
            throw new ArgumentException($"SecurityMode {SecurityMode} is not defined.", nameof(SecurityMode));
        }

        if (MinimumAggregateSize < 3 || MinimumAggregateSize > n)
        {
            throw new ArgumentException($"MinimumAggregateSize must be in [3, {n}], got {MinimumAggregateSize}.", nameof(MinimumAggregateSize));
        }
    }

    /// <summary>Computes SessionId0: SHA-256 of the canonical encoding of these options.</summary>
    /// <returns>The session id.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SessionId ComputeSessionId()
    {
        Validate();
        using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendString(hash, ProtocolVersion);
        AppendString(hash, JobId);
        AppendInt64(hash, RoundNumber);
        AppendInt64(hash, 32); // ring bits
        AppendInt64(hash, VectorLength);
        AppendInt64(hash, Threshold);
        AppendInt64(hash, IsCompleteGraph ? 0 : Neighbours!.Value); // not null: not the complete graph
        AppendInt64(hash, (long)SecurityMode);
        AppendInt64(hash, MinimumAggregateSize);
        AppendInt64(hash, ApplicationContext.Length);
        hash.AppendData(ApplicationContext.Span);
        AppendInt64(hash, Participants.Count);
        for (int i = 0; i < Participants.Count; i++)
        {
            AppendInt64(hash, i + 1);
            AppendString(hash, Participants[i]);
        }

        Span<byte> digest = stackalloc byte[SessionId.Length];
        hash.GetHashAndReset(digest);
        return SessionId.FromBytes(digest);
    }

    private static void AppendInt64(IncrementalHash hash, long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(buffer, value);
        hash.AppendData(buffer);
    }

    private static void AppendString(IncrementalHash hash, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        AppendInt64(hash, bytes.Length);
        hash.AppendData(bytes);
    }
}
