using System.Globalization;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.Governance.Verification;
using Consortia.Network.Identity;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia audit verify --enrollment HOME [--roster FILE]</c>: a site ledger checked against the roster key its
/// writer sent when it enrolled or last renewed (recorded in the coordinator home's identity.db), and against the roster
/// too when given. A ledger re-signed under a new key fails; a roster listing another key than the enrollment record is
/// reported as a key changed without renewal.
/// </summary>
internal static class EnrollmentKeyVerification
{
    private const int Ok = 0;
    private const int Failed = 1;
    private const int BadInput = 2;

    public static int Verify(string ledgerPath, string home, string? rosterPath, TextWriter stdout, TextWriter stderr)
    {
        ConsortiumRoster? roster = null;
        LedgerPublicKey? enrolled;
        LedgerVerification header = LedgerVerifier.Verify(ledgerPath);
        if (header.WriterId is null)
        {
            stdout.WriteLine($"INVALID: {ledgerPath}: {header.Problem?.Reason ?? "no writer in the header"}");
            return Failed;
        }

        try
        {
            roster = rosterPath is null ? null : ConsortiumRoster.Load(rosterPath);
            using CoordinatorIdentity identity = CoordinatorIdentity.Open(home, TimeProvider.System);
            enrolled = identity.RosterKeyOf(header.WriterId);
        }
        catch (Exception error) when (error is RosterException or IdentityException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {error.Message}");
            return BadInput;
        }

        if (enrolled is null)
        {
            stdout.WriteLine($"INVALID: {ledgerPath}: no roster key was recorded when site '{header.WriterId}' enrolled ({home}); enroll or renew it with its key (consortia node enroll --state)");
            return Failed;
        }

        if (roster is not null)
        {
            (EnrollmentKeyStatus status, string text) = EnrollmentKeyCheck.Compare(header.WriterId, enrolled, roster);
            if (status != EnrollmentKeyStatus.Matches)
            {
                stdout.WriteLine($"INVALID: {ledgerPath}: site '{header.WriterId}': {text} (roster of '{roster.Consortium}', sha256 {roster.Sha256})");
                return Failed;
            }
        }

        LedgerVerification result = LedgerVerifier.Verify(ledgerPath, enrolled);
        if (!result.IsValid)
        {
            stdout.WriteLine($"INVALID: {ledgerPath}: {result.Problem!.Reason} (key '{header.WriterId}' enrolled with: {enrolled.Fingerprint}; a ledger re-signed under another key fails here)"); // an invalid result always carries its problem.
            stdout.WriteLine($"  {result.EntryCount.ToString(CultureInfo.InvariantCulture)} entries verified before it");
            return Failed;
        }

        stdout.WriteLine($"VALID: {ledgerPath}");
        stdout.WriteLine($"  writer:    {result.WriterId} ({result.Role?.ToString().ToLowerInvariant()})");
        stdout.WriteLine($"  entries:   {result.EntryCount.ToString(CultureInfo.InvariantCulture)}");
        stdout.WriteLine($"  head hash: {result.HeadHash}");
        stdout.WriteLine($"  key:       {result.KeyFingerprint}, checked against the key recorded at enrollment ({home}){(roster is null ? string.Empty : $" and the roster of '{roster.Consortium}' (sha256 {roster.Sha256})")}");
        return Ok;
    }
}
