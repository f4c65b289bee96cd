using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;

namespace Consortia.Network.Node;

/// <summary>How a proposed roster was handled.</summary>
public enum RosterDecision
{
    /// <summary>Accepted: it is now the roster the node authenticates secure-aggregation peers against.</summary>
    Accepted,

    /// <summary>Already the accepted roster: nothing changed.</summary>
    Unchanged,

    /// <summary>Kept as pending: the node's policy requires an operator (<c>consortia roster accept</c>).</summary>
    Pending,
}

/// <summary>
/// A node's consortium roster in its state folder: <c>roster.json</c> is the roster the node accepted (the only keys
/// its secure aggregation trusts), <c>roster.proposed.json</c> one the coordinator proposed that awaits an operator.
/// Every acceptance is appended to the node's audit ledger as a configuration change (item <c>consortium-roster</c>).
/// </summary>
/// <remarks>
/// Acceptance is explicit (<see cref="Accept"/>, the operator's <c>consortia roster accept</c>) or, when the node's
/// policy says <c>roster: accept: automatic</c>, automatic for a proposal that only adds members of the same
/// consortium (<see cref="Offer"/>): removing a member or changing a member's key is exactly what a coordinator
/// installing a puppet would propose, so it always waits for an operator.
/// </remarks>
public sealed class RosterStore
{
    /// <summary>The ledger item of roster changes.</summary>
    public const string LedgerItem = "consortium-roster";

    /// <summary>Opens the store of a node's state folder.</summary>
    /// <param name="stateFolder">The node's state folder.</param>
    public RosterStore(string stateFolder)
    {
        ArgumentNullException.ThrowIfNull(stateFolder);
        AcceptedPath = Path.Combine(stateFolder, "roster.json");
        ProposedPath = Path.Combine(stateFolder, "roster.proposed.json");
    }

    /// <summary>The accepted roster's file.</summary>
    public string AcceptedPath { get; }

    /// <summary>The pending proposal's file.</summary>
    public string ProposedPath { get; }

    /// <summary>The accepted roster, or <see langword="null"/> when the node has accepted none.</summary>
    /// <returns>The roster.</returns>
    /// <exception cref="RosterException">The stored file is unreadable or was altered.</exception>
    public ConsortiumRoster? Accepted() => File.Exists(AcceptedPath) ? ConsortiumRoster.Load(AcceptedPath) : null;

    /// <summary>The pending proposal, or <see langword="null"/>.</summary>
    /// <returns>The roster.</returns>
    /// <exception cref="RosterException">The stored file is unreadable or malformed.</exception>
    public ConsortiumRoster? Proposed() => File.Exists(ProposedPath) ? ConsortiumRoster.Load(ProposedPath) : null;

    /// <summary>A roster proposed by the coordinator: accepted now when <paramref name="acceptance"/> allows it, else kept pending.</summary>
    /// <param name="proposed">The proposal (its join signatures were verified when it was read).</param>
    /// <param name="acceptance">The node policy's <c>roster.accept</c>.</param>
    /// <param name="ledger">The node's ledger.</param>
    /// <returns>What happened.</returns>
    public RosterDecision Offer(ConsortiumRoster proposed, RosterAcceptance acceptance, AuditLedger? ledger)
    {
        ArgumentNullException.ThrowIfNull(proposed);
        ConsortiumRoster? accepted = Accepted();
        if (accepted?.Sha256 == proposed.Sha256)
        {
            return RosterDecision.Unchanged;
        }

        bool sameConsortium = accepted is null || accepted.Consortium == proposed.Consortium;
        if (acceptance == RosterAcceptance.Automatic && sameConsortium && proposed.Compare(accepted).OnlyAdds)
        {
            return Accept(proposed, ledger, "automatically (policy roster.accept: automatic)");
        }

        Write(ProposedPath, proposed.ToJson());
        return RosterDecision.Pending;
    }

    /// <summary>Accepts <paramref name="roster"/> (an operator's explicit decision) and records it in the ledger.</summary>
    /// <param name="roster">The roster.</param>
    /// <param name="ledger">The node's ledger, or <see langword="null"/>.</param>
    /// <param name="how">How it was accepted, for the ledger entry.</param>
    /// <returns><see cref="RosterDecision.Accepted"/>, or <see cref="RosterDecision.Unchanged"/> when it already was.</returns>
    public RosterDecision Accept(ConsortiumRoster roster, AuditLedger? ledger, string how = "by the operator")
    {
        ArgumentNullException.ThrowIfNull(roster);
        ConsortiumRoster? previous = Accepted();
        if (previous?.Sha256 == roster.Sha256)
        {
            return RosterDecision.Unchanged;
        }

        Write(AcceptedPath, roster.ToJson());
        if (File.Exists(ProposedPath) && Proposed()?.Sha256 == roster.Sha256)
        {
            File.Delete(ProposedPath);
        }

        ledger?.Append(new ConfigurationChangeEvent(
            LedgerItem, previous?.Sha256, roster.Sha256,
            $"roster of '{roster.Consortium}' accepted {how}: {roster.Members.Count} members; {roster.Compare(previous)}"));
        return RosterDecision.Accepted;
    }

    private static void Write(string path, string text)
    {
        // Write beside, then move: a crash never leaves a half-written roster that the node would then refuse to load.
        Directory.CreateDirectory(Path.GetDirectoryName(path)!); // a consortium's folder (state/consortia/NAME) on its first roster
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
