using System.CommandLine;
using System.Globalization;
using Consortia.Governance.Audit;
using Consortia.Network.Identity;

namespace Consortia.Cli.Commands;

/// <summary>
/// Identity and enrollment: <c>consortia provision</c>, <c>consortia token create|list|revoke</c>, <c>consortia site
/// revoke|list</c>, <c>consortia admin-token rotate</c> (coordinator side) and <c>consortia node enroll</c> (site
/// side). See docs/identity.md.
/// </summary>
/// <remarks>Exit codes: 0 = done, 1 = refused (existing files, refused enrollment, unknown site), 2 = bad input.</remarks>
internal static class IdentityCommands
{
    private const int Ok = 0;
    private const int Refused = 1;
    private const int BadInput = 2;
    private const string HomeVariable = "CONSORTIA_HOME";

    /// <summary>The coordinator-side commands: <c>provision</c>, <c>token</c>, <c>site</c>.</summary>
    public static IEnumerable<Command> Create() => Create(TimeProvider.System);

    internal static IEnumerable<Command> Create(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return [Provision(time), Token(time), Site(time), AdminToken()];
    }

    /// <summary><c>node enroll</c> (a sub-command of <c>node</c>).</summary>
    public static Command NodeEnroll() => NodeEnroll(TimeProvider.System);

    internal static Command NodeEnroll(TimeProvider time)
    {
        Option<string> coordinator = new("--coordinator") { Description = "The coordinator's enrollment endpoint, e.g. https://coordinator.example.org:7444.", Required = true };
        Option<string> token = new("--token") { Description = "The one-time enrollment token from `consortia token create`.", Required = true };
        Option<string> output = new("--out") { Description = "The identity folder to create (site.key.pem, site.crt.pem, ca.crt.pem); refused if it already holds one.", Required = true };
        Option<string?> state = new("--state")
        {
            Description = "The node's state folder: its long-term roster key (ledger.key.pem, the key of its ledger and roster entry, created owner-only if absent) is recorded by the coordinator with the certificate, so `site list` and `audit verify --enrollment` can check it.",
        };
        Command enroll = new("enroll", "Makes the site's key pair locally, sends a CSR with a one-time token, and stores the signed certificate (the private key never leaves the site).")
        {
            coordinator, token, output, state,
        };
        enroll.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            TextWriter stderr = parse.InvocationConfiguration.Error;
            if (!Uri.TryCreate(parse.GetRequiredValue(coordinator), UriKind.Absolute, out Uri? url) || url.Scheme != Uri.UriSchemeHttps)
            {
                await stderr.WriteLineAsync("error: --coordinator: expected an https:// URL").ConfigureAwait(false);
                return BadInput;
            }

            try
            {
                using EcdsaLedgerSigner? rosterKey = parse.GetValue(state) is { } folder ? RosterKeyIn(folder) : null;
                EnrollmentResult result = await NodeEnrollment.EnrollAsync(url, parse.GetRequiredValue(token), parse.GetRequiredValue(output), time, cancellationToken, rosterKey).ConfigureAwait(false);
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"enrolled site {result.Site}: certificate {result.Serial}, valid until {result.NotAfter:yyyy-MM-dd HH:mm}Z; identity in {result.Directory}; roster key {rosterKey?.PublicKey.Fingerprint ?? "not recorded (no --state)"}")).ConfigureAwait(false);
                return Ok;
            }
            catch (IdentityException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return Refused;
            }
        });
        return enroll;
    }

    /// <summary>The node's long-term key in its state folder (the one its ledger and roster entry use), created owner-only on first use.</summary>
    private static EcdsaLedgerSigner RosterKeyIn(string stateFolder)
    {
        Directory.CreateDirectory(stateFolder);
        return EcdsaLedgerSigner.LoadOrCreate(Path.Combine(stateFolder, "ledger.key.pem"), Path.Combine(stateFolder, "ledger.pub.pem"));
    }

    /// <summary><c>node check-identity</c> (a sub-command of <c>node</c>): whether an identity folder can still connect.</summary>
    public static Command NodeCheckIdentity() => NodeCheckIdentity(TimeProvider.System);

    /// <summary>Exit code of <c>node check-identity</c> for an expired certificate (enroll again).</summary>
    internal const int Expired = 3;

    internal static Command NodeCheckIdentity(TimeProvider time)
    {
        Option<string> identity = new("--identity") { Description = "The identity folder made by `consortia node enroll`.", Required = true };
        Command check = new("check-identity", "Checks a site identity folder: exit 0 when its certificate is valid (the node renews it by itself), 3 when it expired (enroll again), 2 when it is missing or unreadable.")
        {
            identity,
        };
        check.SetAction(parse =>
        {
            string folder = parse.GetRequiredValue(identity);
            try
            {
                using SiteCredentials credentials = SiteCredentials.Load(folder, expectedSite: null);
                DateTimeOffset notAfter = credentials.Certificate.NotAfter.ToUniversalTime();
                if (time.GetUtcNow() > notAfter)
                {
                    parse.InvocationConfiguration.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"error: the certificate of site {credentials.Site} in {folder} expired at {notAfter:yyyy-MM-dd HH:mm}Z; enroll the site again with a new token"));
                    return Expired;
                }

                parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"site {credentials.Site}: certificate {credentials.Certificate.SerialNumber} valid until {notAfter:yyyy-MM-dd HH:mm}Z; the node renews it from {NodeRenewal.DueAt(credentials.Certificate):yyyy-MM-dd HH:mm}Z"));
                return Ok;
            }
            catch (IdentityException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return BadInput;
            }
        });
        return check;
    }

    private static Command Provision(TimeProvider time)
    {
        Option<string> consortium = new("--consortium") { Description = "The consortium's name (in the CA certificate's subject).", Required = true };
        Option<string> output = new("--out") { Description = "The coordinator home to create; refused if it already holds one.", Required = true };
        Option<string[]> hosts = new("--host") { Description = "A DNS name or IP address the coordinator is reached at (repeatable; default: localhost and 127.0.0.1)." };
        Command provision = new("provision", "Creates the consortium CA, the coordinator's TLS certificate, the admin credential and the identity database.")
        {
            consortium, output, hosts,
        };
        provision.SetAction(parse =>
        {
            string[] names = parse.GetValue(hosts) ?? [];
            try
            {
                using CoordinatorIdentity identity = CoordinatorIdentity.Provision(
                    parse.GetRequiredValue(consortium), parse.GetRequiredValue(output), names.Length == 0 ? ["localhost", "127.0.0.1"] : names, time);
                TextWriter stdout = parse.InvocationConfiguration.Output;
                stdout.WriteLine($"provisioned consortium '{parse.GetRequiredValue(consortium)}' in {identity.Home}");
                stdout.WriteLine($"  CA pin (sha256 of its public key): {identity.CaPin}");
                stdout.WriteLine($"  coordinator certificate for: {string.Join(", ", names.Length == 0 ? ["localhost", "127.0.0.1"] : names)}");
                stdout.WriteLine($"  keep {IdentityFiles.CaKey}, {IdentityFiles.CoordinatorKey} and {IdentityFiles.AdminToken} secret (mode 0600)");
                return Ok;
            }
            catch (IdentityException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return e.Message.Contains("refusing to overwrite", StringComparison.Ordinal) ? Refused : BadInput;
            }
        });
        return provision;
    }

    private static Command Token(TimeProvider time)
    {
        Option<string> site = new("--site") { Description = "The site the token enrolls (lowercase letters, digits, '-').", Required = true };
        Option<string> expires = new("--expires") { Description = "How long the token stays valid, e.g. 30m, 24h, 7d (default 24h).", DefaultValueFactory = _ => "24h" };
        Option<string?> home = HomeOption();
        Command create = new("create", "Mints a one-time enrollment token for a site and prints it (only its hash is stored).")
        {
            site, expires, home,
        };
        create.SetAction(parse => WithIdentity(parse, home, time, identity =>
        {
            TimeSpan lifetime = IdentityDuration.Parse(parse.GetRequiredValue(expires));
            parse.InvocationConfiguration.Output.WriteLine(identity.CreateToken(parse.GetRequiredValue(site), lifetime));
            return Ok;
        }));

        Option<string?> listHome = HomeOption();
        Command list = new("list", "Lists the enrollment tokens: id, site, created, expires, state (open, used, expired, revoked); never their secrets.") { listHome };
        list.SetAction(parse => WithIdentity(parse, listHome, time, identity =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            DateTimeOffset now = identity.Time.GetUtcNow();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"ID",-12} {"SITE",-24} {"CREATED",-17} {"EXPIRES",-17} STATE"));
            foreach (TokenRecord t in identity.Tokens())
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{t.Id,-12} {t.Site,-24} {t.CreatedAt:yyyy-MM-dd HH:mm}Z {t.ExpiresAt:yyyy-MM-dd HH:mm}Z {t.StateAt(now)}"));
            }

            return Ok;
        }));

        Argument<string> id = new("id") { Description = "The token's id as `consortia token list` shows it (or a unique prefix of at least 6 digits)." };
        Option<string?> revokeHome = HomeOption();
        Command revoke = new("revoke", "Revokes an unused enrollment token (e.g. one sent to the wrong person); its enrollment is refused.") { id, revokeHome };
        revoke.SetAction(parse => WithIdentity(parse, revokeHome, time, identity =>
        {
            try
            {
                TokenRecord token = identity.RevokeToken(parse.GetRequiredValue(id));
                parse.InvocationConfiguration.Output.WriteLine($"revoked token {token.Id} of site {token.Site}");
                return Ok;
            }
            catch (IdentityException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return Refused;
            }
        }));
        return new Command("token", "One-time enrollment tokens.") { create, list, revoke };
    }

    private static Command Site(TimeProvider time)
    {
        Argument<string> name = new("name") { Description = "The site." };
        Option<string?> home = HomeOption();
        Option<string?> serial = new("--serial") { Description = "Revoke only the certificate with this serial (as `consortia site list` shows), e.g. the old one after a renewal." };
        Command revoke = new("revoke", "Revokes every certificate of a site, or one with --serial; its next call with a revoked certificate is refused.")
        {
            name, serial, home,
        };
        revoke.SetAction(parse => WithIdentity(parse, home, time, identity =>
        {
            string site = parse.GetRequiredValue(name);
            if (parse.GetValue(serial) is { } one)
            {
                IssuedCertificate? known = identity.Certificates().FirstOrDefault(c => string.Equals(c.Serial, one.Trim(), StringComparison.OrdinalIgnoreCase));
                if (known is not null && known.Site != site)
                {
                    parse.InvocationConfiguration.Error.WriteLine($"error: certificate {known.Serial} belongs to site '{known.Site}', not '{site}'");
                    return Refused;
                }

                try
                {
                    IssuedCertificate revoked = identity.RevokeSerial(one);
                    parse.InvocationConfiguration.Output.WriteLine($"revoked certificate {revoked.Serial} of site {revoked.Site}");
                    return Ok;
                }
                catch (IdentityException e)
                {
                    parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                    return Refused;
                }
            }

            int count = identity.Revoke(site);
            if (count == 0 && !identity.Certificates().Any(c => c.Site == site))
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: no certificate was issued to site '{site}'");
                return Refused;
            }

            parse.InvocationConfiguration.Output.WriteLine($"revoked {count} certificate(s) of site {site}");
            return Ok;
        }));

        // `site list` shows connection state too, from the running coordinator: see SiteListCommand.
        return new Command("site", "Enrolled sites.") { revoke, SiteListCommand.Create(time) };
    }

    private static Command AdminToken()
    {
        Option<string?> home = HomeOption();
        Command rotate = new("rotate", "Replaces the admin credential (admin.token) with a new random one; a running coordinator accepts only the new one from its next call.") { home };
        rotate.SetAction(parse =>
        {
            string directory = parse.GetValue(home) ?? Environment.GetEnvironmentVariable(HomeVariable) ?? Directory.GetCurrentDirectory();
            try
            {
                string path = Path.Combine(Path.GetFullPath(directory), IdentityFiles.AdminToken);
                AdminCredential.Rotate(path);
                parse.InvocationConfiguration.Output.WriteLine($"rotated the admin credential in {path}; give the new one to the operators (the old one is refused from now on)");
                return Ok;
            }
            catch (IdentityException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return BadInput;
            }
        });
        return new Command("admin-token", "The coordinator's admin credential.") { rotate };
    }

    private static Option<string?> HomeOption() =>
        new("--home") { Description = $"The coordinator home (default: ${HomeVariable}, else the current directory)." };

    private static int WithIdentity(ParseResult parse, Option<string?> home, TimeProvider time, Func<CoordinatorIdentity, int> action)
    {
        string directory = parse.GetValue(home) ?? Environment.GetEnvironmentVariable(HomeVariable) ?? Directory.GetCurrentDirectory();
        try
        {
            using CoordinatorIdentity identity = CoordinatorIdentity.Open(directory, time);
            return action(identity);
        }
        catch (IdentityException e)
        {
            parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
    }
}
