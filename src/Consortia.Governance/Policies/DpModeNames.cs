using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Consortia.Governance.Policies;

/// <summary>The stable text names of <see cref="DpMode"/> used in policy files, job files and the audit ledger.</summary>
public static class DpModeNames
{
    /// <summary>The name of <see cref="DpMode.SampleLevel"/>.</summary>
    public const string SampleLevel = "sample-level";

    /// <summary>The name of <see cref="DpMode.ClientLevel"/>.</summary>
    public const string ClientLevel = "client-level";

    /// <summary>Returns the stable name of a mode.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns><c>sample-level</c> or <c>client-level</c>.</returns>
    public static string ToName(DpMode mode) => mode switch
    {
        DpMode.SampleLevel => SampleLevel,
        DpMode.ClientLevel => ClientLevel,
        _ => throw new UnreachableException($"Unknown DP mode {(int)mode}."),
    };

    /// <summary>Parses a mode name (case-insensitive).</summary>
    /// <param name="text">The name.</param>
    /// <param name="mode">The parsed mode.</param>
    /// <returns><see langword="true"/> when <paramref name="text"/> names a mode.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out DpMode mode)
    {
        if (string.Equals(text, SampleLevel, StringComparison.OrdinalIgnoreCase))
        {
            mode = DpMode.SampleLevel;
            return true;
        }

        if (string.Equals(text, ClientLevel, StringComparison.OrdinalIgnoreCase))
        {
            mode = DpMode.ClientLevel;
            return true;
        }

        mode = default;
        return false;
    }
}
