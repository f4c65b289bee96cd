using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Network.Protos;

namespace Consortia.Network.Transport;

/// <summary>
/// The wire form of a fairness audit's task and of a site's plain count vector. Everything read is bounded and
/// checked here; a malformed field becomes an <see cref="InvalidDataException"/> naming it (the node logs it and the
/// task never reaches the site's audit).
/// </summary>
internal static class FairnessWire
{
    /// <summary>The most attributes one audit may name.</summary>
    public const int MaxAttributes = 16;

    /// <summary>The most sites one audit may name.</summary>
    public const int MaxSites = 1024;

    /// <summary>The longest attribute or site name.</summary>
    public const int MaxNameLength = 128;

    public static FairnessAuditTaskProto Encode(FairnessAuditTask task, List<ReadOnlyMemory<byte>> payload)
    {
        payload.Add(VectorPayload.Bytes(task.Parameters));
        FairnessAuditTaskProto wire = new()
        {
            AuditedRun = task.AuditedRun,
            JobYaml = task.JobYaml,
            Parameters = VectorPayload.Describe(task.Parameters),
            Threshold = task.Threshold,
        };
        wire.Attributes.AddRange(task.Attributes);
        wire.Sites.AddRange(task.Sites);
        if (task.SecureSession is { } session)
        {
            wire.SecureSession = WireCodec.EncodeSession(session, task.Participant);
        }

        return wire;
    }

    public static FairnessAuditTask Decode(FairnessAuditTaskProto wire, SiteId site, RoundNumber round, ParameterVector parameters)
    {
        string run = WireCodec.Text(wire.AuditedRun, "fairness_audit.audited_run");
        if (string.IsNullOrWhiteSpace(wire.JobYaml) || wire.JobYaml.Length > Coordinator.JobAdminService.MaxJobFileBytes)
        {
            throw new InvalidDataException($"fairness_audit.job_yaml: expected a job file of 1 to {Coordinator.JobAdminService.MaxJobFileBytes} characters, got {wire.JobYaml.Length}.");
        }

        string[] attributes = Names(wire.Attributes, MaxAttributes, "fairness_audit.attributes", allowEmpty: true);
        string[] sites = Names(wire.Sites, MaxSites, "fairness_audit.sites", allowEmpty: false);
        if (!(wire.Threshold is >= 0f and <= 1f))
        {
            throw new InvalidDataException($"fairness_audit.threshold: expected a probability in [0, 1], got {wire.Threshold}.");
        }

        FairnessAuditTask task = new(site, round, run, wire.JobYaml, parameters, attributes, sites, wire.Threshold);
        if (wire.SecureSession is { } secure)
        {
            task = task with { SecureSession = Session(secure, "fairness_audit.secure_session"), Participant = secure.Participant };
        }

        return task;
    }

    /// <summary>The most cells a reweighting sum may have (2 per group).</summary>
    public const int MaxReweightingCells = 2 * 1024;

    public static ReweightingCountTaskProto Encode(ReweightingCountTask task) =>
        task.SecureSession is { } session ? new ReweightingCountTaskProto { SecureSession = WireCodec.EncodeSession(session, task.Participant) } : new ReweightingCountTaskProto();

    public static ReweightingCountTask Decode(ReweightingCountTaskProto wire, SiteId site, RoundNumber round)
    {
        ReweightingCountTask task = new(site, round);
        if (wire.SecureSession is { } secure)
        {
            task = task with { SecureSession = Session(secure, "reweighting_count.secure_session"), Participant = secure.Participant };
        }

        return task;
    }

    /// <summary>A training task's summed reweighting counts: none when empty; their values are the site's to check (negative ones included).</summary>
    public static long[]? ReweightingCounts(Google.Protobuf.Collections.RepeatedField<long> counts) => counts.Count switch
    {
        0 => null,
        > MaxReweightingCells => throw new InvalidDataException($"train.reweighting_counts: expected at most {MaxReweightingCells} cells, got {counts.Count}."),
        _ => [.. counts],
    };

    public static FairnessCountsProto Encode(FairnessCountsReleased counts, List<ReadOnlyMemory<byte>> payload)
    {
        uint[] values = new uint[counts.Counts.Length];
        for (int i = 0; i < values.Length; i++)
        {
            long c = counts.Counts[i];
            values[i] = c is >= 0 and <= uint.MaxValue ? (uint)c : throw new ArgumentException($"count {i}: {c} is not in [0, 2^32).", nameof(counts));
        }

        payload.Add(VectorPayload.Bytes(values));
        return new FairnessCountsProto { Counts = VectorPayload.Describe(values) };
    }

    /// <summary>A count task's session, with the site's participant index checked against it.</summary>
    private static Consortia.SecureAggregation.Protocol.SecAggSessionOptions Session(SecureSession secure, string field)
    {
        Consortia.SecureAggregation.Protocol.SecAggSessionOptions session = WireCodec.DecodeSession(secure, field);
        return secure.Participant >= 1 && secure.Participant <= session.ParticipantCount
            ? session
            : throw new InvalidDataException($"{field}.participant: expected 1..{session.ParticipantCount}, got {secure.Participant}.");
    }

    private static string[] Names(Google.Protobuf.Collections.RepeatedField<string> names, int max, string field, bool allowEmpty)
    {
        if (names.Count > max || (!allowEmpty && names.Count == 0))
        {
            throw new InvalidDataException($"{field}: expected {(allowEmpty ? 0 : 1)} to {max} names, got {names.Count}.");
        }

        foreach (string name in names)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
            {
                throw new InvalidDataException($"{field}: expected non-empty names of at most {MaxNameLength} printable characters.");
            }
        }

        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            throw new InvalidDataException($"{field}: names repeat.");
        }

        return [.. names];
    }
}
