using System.Globalization;

namespace Consortia.Federation.Sites.Guards;

/// <summary>The answer of <see cref="SiteRoundState.TryClaim"/>.</summary>
internal enum RoundClaim
{
    /// <summary>Recorded: the site may contribute.</summary>
    Claimed,

    /// <summary>The (round, attempt) is not after the last one claimed.</summary>
    Repeated,

    /// <summary>The site already contributed to as many attempts of this round as its policy allows.</summary>
    TooManyAttempts,
}

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
            (LastRound, LastAttempt, Evaluations, AttemptsInRound) = Parse(path, File.ReadAllText(path));
        }
    }

    /// <summary>The last round contributed to, or 0 for none.</summary>
    public int LastRound { get; private set; }

    /// <summary>The attempt of <see cref="LastRound"/>.</summary>
    public int LastAttempt { get; private set; } = -1;

    /// <summary>How many attempts of <see cref="LastRound"/> the site contributed to.</summary>
    public int AttemptsInRound { get; private set; }

    /// <summary>The evaluations released so far.</summary>
    public int Evaluations { get; private set; }

    /// <summary>
    /// Records a contribution to (<paramref name="round"/>, <paramref name="attempt"/>) if it comes after every earlier
    /// one and the round has had fewer than <paramref name="maxAttempts"/> contributions.
    /// </summary>
    /// <param name="round">The round.</param>
    /// <param name="attempt">The coordinator's attempt for it.</param>
    /// <param name="maxAttempts">The most attempts of one round the site contributes to (its policy's <c>protections.max_attempts_per_round</c>).</param>
    /// <returns>Whether the contribution may go ahead (it is then recorded, durably when a file is kept), or why not.</returns>
    public RoundClaim TryClaim(int round, int attempt, int maxAttempts)
    {
        lock (_gate)
        {
            // Identities only increase: the same round again, or an earlier one, is a repeat.
            bool after = round > LastRound || (round == LastRound && attempt > LastAttempt);
            if (!after)
            {
                return RoundClaim.Repeated;
            }

            // Each attempt is a new contribution to the same round's model (fresh masks and noise, charged again);
            // counted, not trusted to the attempt numbers, which the coordinator chooses.
            int attempts = round == LastRound ? AttemptsInRound + 1 : 1;
            if (attempts > maxAttempts)
            {
                return RoundClaim.TooManyAttempts;
            }

            (LastRound, LastAttempt, AttemptsInRound) = (round, attempt, attempts);
            Save();
            return RoundClaim.Claimed;
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
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"round {LastRound}\nattempt {LastAttempt}\nevaluations {Evaluations}\nattempts_in_round {AttemptsInRound}\n"));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }

    private static (int Round, int Attempt, int Evaluations, int AttemptsInRound) Parse(string path, string text)
    {
        Dictionary<string, int> values = new(StringComparer.Ordinal);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < lines.Length; i++)
        {
            string[] parts = lines[i].Split(' ');
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || !values.TryAdd(parts[0], value))
            {
                throw new InvalidDataException($"{path}:{i + 1}: expected 'round N', 'attempt N', 'evaluations N' or 'attempts_in_round N' once each, got '{lines[i]}'.");
            }
        }

        foreach (string key in (string[])["round", "attempt", "evaluations"])
        {
            if (!values.ContainsKey(key))
            {
                throw new InvalidDataException($"{path}: the line '{key} N' is missing.");
            }
        }

        // Files written before the attempt cap have no count: the last round then had one contribution (none before round 1).
        int attemptsInRound = values.TryGetValue("attempts_in_round", out int counted) ? counted : values["round"] > 0 ? 1 : 0;
        return (values["round"], values["attempt"], values["evaluations"], attemptsInRound);
    }
}
