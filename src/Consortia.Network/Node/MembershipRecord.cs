using System.Text.Json;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Network.Configuration;

namespace Consortia.Network.Node;

/// <summary>
/// Whether a node has left one of its consortia: <c>consortia node leave</c> writes <c>left.json</c> in the consortium's
/// state folder and records the departure in the site's ledger; from then on the node refuses every job of that
/// consortium (code <c>consortium-left</c>), whatever its configuration still says.
/// </summary>
/// <remarks>A file, not a configuration edit: leaving must hold even when an old <c>site.yaml</c> is deployed again.</remarks>
public static class MembershipRecord
{
    /// <summary>The ledger item of membership changes.</summary>
    public const string LedgerItem = "consortium-membership";

    /// <summary>The file that records the departure.</summary>
    /// <param name="membership">The membership.</param>
    /// <returns>The path.</returns>
    public static string LeftPath(NodeMembership membership)
    {
        ArgumentNullException.ThrowIfNull(membership);
        return Path.Combine(membership.StateFolder, "left.json");
    }

    /// <summary>When the node left the consortium, or <see langword="null"/> while it is a member.</summary>
    /// <param name="membership">The membership.</param>
    /// <returns>The departure's time as recorded (ISO 8601).</returns>
    public static string? LeftAt(NodeMembership membership)
    {
        string path = LeftPath(membership);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path));
            return json.RootElement.TryGetProperty("left_at", out JsonElement at) && at.GetString() is { Length: > 0 } text ? text : "an unrecorded time";
        }
        catch (JsonException)
        {
            return "an unrecorded time"; // a damaged record still means the site left: fail closed
        }
    }

    /// <summary>Records that the node leaves the consortium: the file, then the ledger entry.</summary>
    /// <param name="membership">The membership (with a consortium name).</param>
    /// <param name="ledger">The site's ledger.</param>
    /// <param name="now">The departure's time.</param>
    /// <param name="reason">Why, in the operator's words (may be empty).</param>
    /// <returns><see langword="false"/> when the node had already left.</returns>
    public static bool Leave(NodeMembership membership, AuditLedger ledger, DateTimeOffset now, string reason)
    {
        ArgumentNullException.ThrowIfNull(membership);
        ArgumentNullException.ThrowIfNull(ledger);
        if (LeftAt(membership) is not null)
        {
            return false;
        }

        Directory.CreateDirectory(membership.StateFolder);
        string at = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        string json = JsonSerializer.Serialize(new Dictionary<string, string> { ["consortium"] = membership.Consortium ?? string.Empty, ["left_at"] = at, ["reason"] = reason });
        File.WriteAllText(LeftPath(membership), json);
        ledger.Append(new ConfigurationChangeEvent(LedgerItem, null, Sha256Hex.OfText(json),
            $"left consortium '{membership.Consortium}' at {at}{(reason.Length > 0 ? ": " + reason : string.Empty)}; no further tasks of it are taken"));
        return true;
    }
}
