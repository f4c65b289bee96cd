using System.Text.Json;
using System.Text.Json.Serialization;

namespace Consortia.Network.Node;

/// <summary>Where a job stands with the site officer.</summary>
public enum ApprovalState
{
    /// <summary>Waiting for a decision.</summary>
    Pending,

    /// <summary>Approved: the node takes the job.</summary>
    Approved,

    /// <summary>Rejected: the node refuses the job.</summary>
    Rejected,
}

/// <summary>A job waiting for, or decided by, the site officer (one file in the node's state folder).</summary>
/// <param name="Run">The job's run id at the coordinator (what <c>consortia node approve</c> takes).</param>
/// <param name="Job">The job's name.</param>
/// <param name="Owner">The job's owner.</param>
/// <param name="Consortium">The job's consortium.</param>
/// <param name="ManifestSha256">The SHA-256 of the job file the decision is about: a different file under the same run id is not approved.</param>
/// <param name="RequestedAt">When the job first arrived.</param>
/// <param name="State">The decision.</param>
/// <param name="DecidedAt">When it was decided.</param>
/// <param name="DecidedBy">Who decided (the operating-system user who ran the command).</param>
/// <param name="Note">The officer's note or reason.</param>
/// <param name="Recorded">Whether the node has written the decision to the site's audit ledger.</param>
public sealed record ApprovalRecord(
    string Run,
    string Job,
    string Owner,
    string Consortium,
    string ManifestSha256,
    DateTimeOffset RequestedAt,
    ApprovalState State,
    DateTimeOffset? DecidedAt = null,
    string? DecidedBy = null,
    string? Note = null,
    bool Recorded = false);

/// <summary>
/// The jobs that wait for, or were decided by, the site officer: <c>approvals/&lt;run&gt;.json</c> in the node's
/// state folder. The node creates a pending record when a job first arrives; <c>consortia node approve|reject</c>
/// (another process) decides it; the node reads the decision the next time the coordinator asks, and writes it
/// to the ledger (the node is the ledger's only writer). Files are replaced atomically, so a reader never sees
/// a partial one.
/// </summary>
/// <param name="state">The node's state folder.</param>
public sealed class JobApprovals(string state)
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The folder of the approval files.</summary>
    public string Folder { get; } = Path.Combine(state, "approvals");

    /// <summary>Whether <paramref name="run"/> can name an approval file (letters, digits, '.', '_', '-'; 1–128 characters; not starting with '.').</summary>
    public static bool IsValidRun(string? run) =>
        run is { Length: > 0 and <= 128 } && run[0] != '.' && run.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Every record, oldest request first.</summary>
    public IReadOnlyList<ApprovalRecord> List()
    {
        if (!Directory.Exists(Folder))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(Folder, "*.json")
            .Select(Read)
            .OfType<ApprovalRecord>()
            .OrderBy(r => r.RequestedAt)
            .ThenBy(r => r.Run, StringComparer.Ordinal)];
    }

    /// <summary>The record of <paramref name="run"/>, or null.</summary>
    public ApprovalRecord? Find(string run) => IsValidRun(run) ? Read(PathOf(run)) : null;

    /// <summary>Creates the pending record of a job that just arrived, unless one exists.</summary>
    /// <returns>The record, and whether it was created now (then the officer is notified).</returns>
    public (ApprovalRecord Record, bool Created) Request(ApprovalRecord pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (Find(pending.Run) is { } existing)
        {
            return (existing, false);
        }

        Directory.CreateDirectory(Folder);
        Write(pending);
        return (pending, true);
    }

    /// <summary>Decides a pending job (the site officer's command).</summary>
    /// <exception cref="InvalidOperationException">No job with this run id waits here, or it was decided before.</exception>
    public ApprovalRecord Decide(string run, bool approve, string officer, string? note, DateTimeOffset now)
    {
        ApprovalRecord record = Find(run)
            ?? throw new InvalidOperationException($"no job with run id '{run}' waits for approval at this node (`consortia node jobs` lists them; is --config the node's configuration?)");
        if (record.State != ApprovalState.Pending)
        {
            throw new InvalidOperationException($"job {run} ({record.Job}) was {record.State.ToString().ToLowerInvariant()} already, at {record.DecidedAt:yyyy-MM-dd HH:mm}Z by {record.DecidedBy}");
        }

        ApprovalRecord decided = record with
        {
            State = approve ? ApprovalState.Approved : ApprovalState.Rejected,
            DecidedAt = now,
            DecidedBy = officer,
            Note = note,
        };
        Write(decided);
        return decided;
    }

    /// <summary>Marks a decision as written to the ledger.</summary>
    public void MarkRecorded(ApprovalRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Write(record with { Recorded = true });
    }

    private string PathOf(string run) => Path.Combine(Folder, run + ".json");

    private void Write(ApprovalRecord record)
    {
        string path = PathOf(record.Run);
        string next = path + ".next";
        File.WriteAllText(next, JsonSerializer.Serialize(record, s_json));
        File.Move(next, path, overwrite: true);
    }

    private static ApprovalRecord? Read(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<ApprovalRecord>(File.ReadAllText(path), s_json) : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not an approval record: {e.Message}", e);
        }
    }
}
