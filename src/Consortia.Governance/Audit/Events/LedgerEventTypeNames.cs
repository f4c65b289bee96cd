using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Consortia.Governance.Audit.Events;

/// <summary>The stable text names of <see cref="LedgerEventType"/> stored in the ledger's <c>type</c> column.</summary>
public static class LedgerEventTypeNames
{
    private static readonly (LedgerEventType Type, string Name)[] s_names =
    [
        (LedgerEventType.JobReceived, "job-received"),
        (LedgerEventType.PolicyDecision, "policy-decision"),
        (LedgerEventType.RoundTrained, "round-trained"),
        (LedgerEventType.UpdateSent, "update-sent"),
        (LedgerEventType.PrivacyCharge, "privacy-charge"),
        (LedgerEventType.AggregateReceived, "aggregate-received"),
        (LedgerEventType.ModelReleased, "model-released"),
        (LedgerEventType.ConfigurationChange, "configuration-change"),
        (LedgerEventType.RoundCompleted, "round-completed"),
        (LedgerEventType.RedTeamReport, "redteam-report"),
        (LedgerEventType.FairnessAudit, "fairness-audit"),
    ];

    /// <summary>Returns the stable name of a type, e.g. <c>update-sent</c>.</summary>
    /// <param name="type">The type.</param>
    /// <returns>The name.</returns>
    public static string ToName(LedgerEventType type)
    {
        foreach ((LedgerEventType t, string name) in s_names)
        {
            if (t == type)
            {
                return name;
            }
        }

        throw new UnreachableException($"Unknown ledger event type {(int)type}.");
    }

    /// <summary>Parses a stable name (exact, case-sensitive: names are part of the hashed record).</summary>
    /// <param name="name">The name.</param>
    /// <param name="type">The type.</param>
    /// <returns><see langword="true"/> when the name is known.</returns>
    public static bool TryParse([NotNullWhen(true)] string? name, out LedgerEventType type)
    {
        foreach ((LedgerEventType t, string n) in s_names)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                type = t;
                return true;
            }
        }

        type = default;
        return false;
    }
}
