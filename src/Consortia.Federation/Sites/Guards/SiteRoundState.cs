using System.Globalization;

namespace Consortia.Federation.Sites.Guards;

/// <summary>
/// What one site has given one job run so far: the last round identity (round, attempt) it contributed to and the
/// number of evaluations it released. Kept in memory (simulation) or in a small file in the node's state folder, so
/// that a site restarted mid-job still refuses to contribute twice to a round.
/// </summary>
/// <remarks>
/// The file is rewritten whole (write to a temporary file, flush to disk, rename) before the site computes anything,
/// so a crash leaves either the old or the new state, never a torn one. An unreadable file fails closed: the job cannot
/// be prepared (the site would otherwise forget which rounds it already contributed to).
/// </remarks>
internal sealed class SiteRoundState
{
    private readonly string? _path;
    private readonly Lock _gate = new();

    /// <summary>Creates the state, read from <paramref name="path"/> when the file exists.</summary>
    /// <param name="path">The state file, or <see langword="null"/> to keep the state in memory only.</param>
    /// <exception cref="InvalidDataException">The file exists but is not a state file.</exception>
    public SiteRoundState(string? path)
    {
        _path = path;
        if (path is not null && File.Exists(path))
        {
            (LastRound, LastAttempt, Evaluations) = Parse(path, File.ReadAllText(path));
        }
    }

    /// <summary>The last round contributed to, or 0 for none.</summary>
    public int LastRound { get; private set; }

    /// <summary>The attempt of <see cref="LastRound"/>.</summary>
    public int LastAttempt { get; private set; } = -1;

    /// <summary>The evaluations released so far.</summary>
    public int Evaluations { get; private set; }

    /// <summary>Records a contribution to (<paramref name="round"/>, <paramref name="attempt"/>) if it comes after every earlier one.</summary>
    /// <param name="round">The round.</param>
    /// <param name="attempt">The coordinator's attempt for it.</param>
    /// <returns>Whether the contribution may go ahead (it is then recorded, durably when a file is kept).</returns>
    public bool TryClaim(int round, int attempt)
    {
        lock (_gate)
        {
            // Identities only increase: the same round again, or an earlier one, is a repeat.
            bool after = round > LastRound || (round == LastRound && attempt > LastAttempt);
            if (!after)
            {
                return false;
            }

            (LastRound, LastAttempt) = (round, attempt);
            Save();
            return true;
        }
    }

    /// <summary>Counts one more evaluation if fewer than <paramref name="cap"/> were released.</summary>
    /// <param name="cap">The most evaluations the site releases for the job.</param>
    /// <returns>Whether the evaluation may go ahead (it is then counted, durably when a file is kept).</returns>
    public bool TryCountEvaluation(int cap)
    {
        lock (_gate)
        {
            if (Evaluations >= cap)
            {
                return false;
            }

            Evaluations++;
            Save();
            return true;
        }
    }

    private void Save()
    {
        if (_path is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        string temporary = _path + ".tmp";
        using (FileStream stream = new(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        using (StreamWriter writer = new(stream))
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"round {LastRound}\nattempt {LastAttempt}\nevaluations {Evaluations}\n"));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }

    private static (int Round, int Attempt, int Evaluations) Parse(string path, string text)
    {
        Dictionary<string, int> values = new(StringComparer.Ordinal);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < lines.Length; i++)
        {
            string[] parts = lines[i].Split(' ');
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || !values.TryAdd(parts[0], value))
            {
                throw new InvalidDataException($"{path}:{i + 1}: expected 'round N', 'attempt N' or 'evaluations N' once each, got '{lines[i]}'.");
            }
        }

        foreach (string key in (string[])["round", "attempt", "evaluations"])
        {
            if (!values.ContainsKey(key))
            {
                throw new InvalidDataException($"{path}: the line '{key} N' is missing.");
            }
        }

        return (values["round"], values["attempt"], values["evaluations"]);
    }
}
