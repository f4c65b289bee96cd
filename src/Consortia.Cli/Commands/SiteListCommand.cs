using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.Network.Coordinator;
using Consortia.Network.Identity;
using Grpc.Core;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia site list</c>: every site with its connection state as the running coordinator sees it (connected or
/// offline, last seen, node version, capacity, the consortia of its running jobs), then its certificates (serial,
/// expiry, revocation) from the coordinator home. Without a reachable coordinator the certificates are still shown,
/// with the state "unknown".
/// </summary>
/// <remarks>Exit codes: 0 = shown, 2 = the home is missing or unreadable.</remarks>
internal static class SiteListCommand
{
    private const string HomeVariable = "CONSORTIA_HOME";
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    /// <summary>Creates the command.</summary>
    /// <param name="time">The clock (certificate expiry).</param>
    public static Command Create(TimeProvider time)
    {
        Option<string?> home = new("--home") { Description = $"The coordinator home (default: ${HomeVariable}, else the current directory)." };
        Option<string> url = new("--coordinator") { Description = "The coordinator's admin endpoint (for the connection state).", DefaultValueFactory = _ => "https://127.0.0.1:7445" };
        Option<bool> json = new("--json") { Description = "Prints a JSON array, one object per site." };
        Option<int> timeout = new("--timeout") { Description = "How many seconds to wait for the coordinator's answer (connection states) before listing without it.", DefaultValueFactory = _ => 10 };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 3600)
            {
                r.AddError($"--timeout: expected whole seconds from 1 to 3600, got {r.GetValueOrDefault<int>()}.");
            }
        });
        Command list = new("list", "Lists the sites: connection state, last seen, node version, capacity, consortia, then their certificates.") { home, url, json, timeout };
        list.SetAction(async (parse, ct) =>
        {
            string directory = parse.GetValue(home) ?? Environment.GetEnvironmentVariable(HomeVariable) ?? Directory.GetCurrentDirectory();
            TextWriter stdout = parse.InvocationConfiguration.Output;
            TextWriter stderr = parse.InvocationConfiguration.Error;
            IReadOnlyList<IssuedCertificate> certificates;
            DateTimeOffset now;
            string rosterPath;
            IReadOnlyDictionary<string, LedgerPublicKey> keys;
            try
            {
                using CoordinatorIdentity identity = CoordinatorIdentity.Open(directory, time);
                certificates = [.. identity.Certificates()];
                now = identity.Time.GetUtcNow();
                rosterPath = identity.RosterPath;
                keys = identity.RosterKeys();
            }
            catch (IdentityException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            ConsortiumRoster? roster = null;
            try
            {
                roster = File.Exists(rosterPath) ? ConsortiumRoster.Load(rosterPath) : null;
            }
            catch (RosterException e)
            {
                await stderr.WriteLineAsync($"warning: the coordinator's roster does not verify, keys are not compared with it: {e.Message}").ConfigureAwait(false);
            }

            (IReadOnlyList<SiteOverview>? live, string? problem) = await AskCoordinatorAsync(directory, parse.GetValue(url)!, TimeSpan.FromSeconds(parse.GetValue(timeout)), ct).ConfigureAwait(false);
            if (problem is not null)
            {
                await stderr.WriteLineAsync($"warning: connection state unknown: {problem}").ConfigureAwait(false);
            }

            IReadOnlyList<Row> rows = Rows(certificates, live, now, roster, keys);
            if (parse.GetValue(json))
            {
                await stdout.WriteLineAsync(Json(rows)).ConfigureAwait(false);
                return 0;
            }

            await stdout.WriteLineAsync($"{"SITE",-24} {"STATE",-9} {"LAST SEEN",-17} {"VERSION",-12} {"CAPACITY",-8} CONSORTIA").ConfigureAwait(false);
            foreach (Row r in rows)
            {
                await stdout.WriteLineAsync(string.Create(s_invariant,
                    $"{r.Site,-24} {r.State,-9} {(r.LastSeen is { } seen ? seen.ToString("yyyy-MM-dd HH:mm", s_invariant) + "Z" : "-"),-17} {Or(r.Version),-12} {(r.Capacity > 0 ? r.Capacity.ToString(s_invariant) : "-"),-8} {Or(string.Join(",", r.Consortia))}")).ConfigureAwait(false);
            }

            await stdout.WriteLineAsync().ConfigureAwait(false);
            await stdout.WriteLineAsync($"{"CERTIFICATE OF",-24} {"SERIAL",-34} {"NOT AFTER",-17} {"STATUS",-24} ROSTER KEY").ConfigureAwait(false);
            foreach (IssuedCertificate c in certificates)
            {
                await stdout.WriteLineAsync(string.Create(s_invariant, $"{c.Site,-24} {c.Serial,-34} {c.NotAfter:yyyy-MM-dd HH:mm}Z {CertificateStatus(c, now),-24} {RosterKeyBinding.Read(c.RosterKey)?.Fingerprint ?? "-"}")).ConfigureAwait(false);
            }

            // The key each site enrolled (or last renewed) with against the roster the coordinator publishes.
            await stdout.WriteLineAsync().ConfigureAwait(false);
            foreach (Row r in rows)
            {
                await stdout.WriteLineAsync($"{r.Site,-24} {r.RosterKeyCheck}").ConfigureAwait(false);
            }

            return 0;
        });
        return list;
    }

    /// <summary>One site: its connection (when the coordinator answered) and whether it holds an active certificate.</summary>
    private sealed record Row(string Site, string State, DateTimeOffset? LastSeen, string Version, int Capacity, IReadOnlyList<string> Consortia, IReadOnlyList<string> Jobs, bool ActiveCertificate)
    {
        public string? RosterKey { get; init; }

        public EnrollmentKeyStatus RosterKeyStatus { get; init; }

        public string RosterKeyCheck { get; init; } = "";
    }

    private static IReadOnlyList<Row> Rows(IReadOnlyList<IssuedCertificate> certificates, IReadOnlyList<SiteOverview>? live, DateTimeOffset now, ConsortiumRoster? roster, IReadOnlyDictionary<string, LedgerPublicKey> keys)
    {
        Dictionary<string, SiteOverview> seen = live?.ToDictionary(s => s.Site, StringComparer.Ordinal) ?? [];
        return [.. certificates.Select(c => c.Site).Concat(seen.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(site =>
        {
            bool active = certificates.Any(c => c.Site == site && c.RevokedAt is null && c.NotBefore <= now && now <= c.NotAfter);
            LedgerPublicKey? key = keys.GetValueOrDefault(site);
            (EnrollmentKeyStatus status, string check) = EnrollmentKeyCheck.Compare(site, key, roster);
            Row row = !seen.TryGetValue(site, out SiteOverview? s)
                ? new Row(site, live is null ? "unknown" : "offline", null, "", 0, [], [], active)
                : new Row(site, s.Connected ? "connected" : "offline", s.LastSeen, s.NodeVersion, s.Capacity, s.Consortia, s.Jobs, active);
            return row with { RosterKey = key?.Fingerprint, RosterKeyStatus = status, RosterKeyCheck = check };
        })];
    }

    private static async Task<(IReadOnlyList<SiteOverview>? Sites, string? Problem)> AskCoordinatorAsync(string home, string address, TimeSpan askTimeout, CancellationToken cancellationToken)
    {
        string ca = Path.Combine(home, "ca.crt.pem");
        string token = Path.Combine(home, "admin.token");
        if (!File.Exists(ca) || !File.Exists(token))
        {
            return (null, $"{home} holds no ca.crt.pem and admin.token to reach the coordinator with");
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? endpoint) || endpoint.Scheme != Uri.UriSchemeHttps)
        {
            return (null, $"--coordinator: expected the admin endpoint as an https:// URL, got '{address}'");
        }

        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(askTimeout);
        try
        {
            using JobAdminClient client = JobAdminClient.Connect(endpoint, await File.ReadAllTextAsync(ca, cancellationToken).ConfigureAwait(false), await File.ReadAllTextAsync(token, cancellationToken).ConfigureAwait(false));
            return (await client.ListSitesAsync(limit.Token).ConfigureAwait(false), null);
        }
        catch (RpcException e)
        {
            return (null, $"the coordinator at {address} did not answer ({e.StatusCode}): {e.Status.Detail}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"the coordinator at {address} did not answer within {askTimeout.TotalSeconds:F0} s (--timeout)");
        }
    }

    private static string CertificateStatus(IssuedCertificate c, DateTimeOffset now) =>
        c.RevokedAt is { } at ? string.Create(s_invariant, $"revoked {at:yyyy-MM-dd HH:mm}Z") : now > c.NotAfter ? "expired" : "active";

    private static string Or(string text) => text.Length == 0 ? "-" : text;

    private static string Json(IReadOnlyList<Row> rows)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter w = new(buffer))
        {
            w.WriteStartArray();
            foreach (Row r in rows)
            {
                w.WriteStartObject();
                w.WriteString("site", r.Site);
                w.WriteString("state", r.State);
                if (r.LastSeen is { } seen)
                {
                    w.WriteString("lastSeen", seen.ToString("O", s_invariant));
                }
                else
                {
                    w.WriteNull("lastSeen");
                }

                w.WriteString("version", r.Version);
                w.WriteNumber("capacity", r.Capacity);
                w.WriteStartArray("consortia");
                r.Consortia.ToList().ForEach(w.WriteStringValue);
                w.WriteEndArray();
                w.WriteStartArray("jobs");
                r.Jobs.ToList().ForEach(w.WriteStringValue);
                w.WriteEndArray();
                w.WriteBoolean("activeCertificate", r.ActiveCertificate);
                if (r.RosterKey is { } fingerprint)
                {
                    w.WriteString("rosterKey", fingerprint);
                }
                else
                {
                    w.WriteNull("rosterKey");
                }

                w.WriteString("rosterKeyStatus", r.RosterKeyStatus switch
                {
                    EnrollmentKeyStatus.Matches => "matches",
                    EnrollmentKeyStatus.Differs => "differs",
                    EnrollmentKeyStatus.NotInRoster => "not-in-roster",
                    _ => "none",
                });
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
