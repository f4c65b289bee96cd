namespace Consortia.Governance.Roster;

/// <summary>
/// The rule for a consortium's name, shared by job files, coordinator configuration and rosters: the name routes a job to
/// one consortium's roster, agreement and ledger, and it becomes part of file names and ledger records, so it is kept to a
/// small, unambiguous alphabet.
/// </summary>
public static class ConsortiumName
{
    /// <summary>The longest accepted name.</summary>
    public const int MaxLength = 64;

    /// <summary>What a valid name looks like, for error messages.</summary>
    public const string Expected = "1 to 64 characters: ASCII letters, digits, '.', '-' or '_', starting with a letter or digit";

    /// <summary>Whether <paramref name="name"/> is a valid consortium name.</summary>
    /// <param name="name">The candidate name.</param>
    /// <returns><see langword="true"/> when it follows the rule in <see cref="Expected"/>.</returns>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
