using System.CommandLine;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Consortia.Cli.Deployment;
using Consortia.Federation.RedTeam;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Roster;
using Consortia.Network.Configuration;
using Consortia.Network.Coordinator;
using Consortia.Network.Identity;
using Microsoft.AspNetCore.Builder;

namespace Consortia.Cli.RedTeam;

/// <summary>
/// The red team's attacks on the deployment itself (issue 12, attacks 7 and 8): a real coordinator host on loopback,
/// and a site's audit ledger verified with the product's own <c>audit verify</c>.
/// </summary>
internal static class DeploymentAttacks
{
    /// <summary>
    /// Host-header routing (attack 7): a client of the enrollment port (TLS, no client certificate: anyone holding or
    /// guessing nothing) asks for <c>/metrics</c> and the admin API while naming the health or admin port in
    /// <c>:authority</c>. The coordinator separates its endpoints by the local port of the connection; the weakened one
    /// (red team only) by the header, as before.
    /// </summary>
    /// <param name="unprotected">Whether to attack the weakened coordinator.</param>
    /// <param name="cancellationToken">Cancels the attack.</param>
    /// <returns>The outcome.</returns>
    public static async Task<AttackOutcome> HostHeaderAsync(bool unprotected, CancellationToken cancellationToken)
    {
        const string Name = "host-header";
        DirectoryInfo folder = Directory.CreateTempSubdirectory("consortia-redteam-host-");
        try
        {
            string home = Path.Combine(folder.FullName, "home");
            using X509Certificate2 ca = Provision(home);
            (int sites, int enroll, int admin, int health) = (LocalConsortium.FreePort(), LocalConsortium.FreePort(), LocalConsortium.FreePort(), LocalConsortium.FreePort());
            CoordinatorConfig config = new()
            {
                Home = home,
                Listen = new ListenConfig { Sites = $"127.0.0.1:{sites}", Enrollment = $"127.0.0.1:{enroll}", Admin = $"127.0.0.1:{admin}", Health = $"127.0.0.1:{health}" },
            };
            await using WebApplication app = CoordinatorHost.Build(config, _ => { }, routeByHostHeader: unprotected);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using HttpClient tls = new(new SocketsHttpHandler
                {
                    SslOptions = { RemoteCertificateValidationCallback = (_, server, _, errors) => MutualTls.IsTrustedServer(server, errors, ca, TimeProvider.System.GetUtcNow(), out _) },
                });
                (HttpStatusCode metricsStatus, string metrics) = await SendAsync(tls, HttpMethod.Get, $"https://127.0.0.1:{enroll}/metrics", $"127.0.0.1:{health}", cancellationToken).ConfigureAwait(false);
                (HttpStatusCode adminStatus, string grpc) = await SendAsync(tls, HttpMethod.Post, $"https://127.0.0.1:{enroll}/consortia.v1.JobAdmin/ListJobs", $"127.0.0.1:{admin}", cancellationToken).ConfigureAwait(false);
                bool prevented = metricsStatus == HttpStatusCode.NotFound && adminStatus == HttpStatusCode.NotFound;
                string metricsText = metricsStatus == HttpStatusCode.OK
                    ? $"GET /metrics answered 200 with {metrics.Length} characters ({metrics.Split('\n').Count(l => l.Length > 0 && l[0] != '#')} samples)"
                    : $"GET /metrics answered {(int)metricsStatus}";
                string adminText = adminStatus == HttpStatusCode.OK
                    ? $"the admin API's ListJobs answered 200 (grpc-status {grpc}: the admin service itself ran the call)"
                    : $"the admin API's ListJobs answered {(int)adminStatus}";
                return new AttackOutcome(Name, prevented, $"on the enrollment port :{enroll} with :authority naming the health :{health} or admin :{admin} port, {metricsText} and {adminText}"
                    + (prevented ? ": endpoints are served only on the listener they belong to" : ": the endpoints were routed by the client's header"));
            }
            finally
            {
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Ledger key (attack 8): someone with the site's disk (or a coordinator operator handed the files) rewrites the
    /// site's audit ledger under a fresh key — dropping its privacy charge — and puts the new public key beside it, where the node
    /// writes <c>ledger.pub.pem</c>. Verified against the key the site holds in the consortium roster, the rewrite is
    /// reported; the weakened verification trusts the key file beside the ledger.
    /// </summary>
    /// <param name="unprotected">Whether to verify the weakened way.</param>
    /// <param name="cancellationToken">Cancels the attack.</param>
    /// <returns>The outcome.</returns>
    public static async Task<AttackOutcome> LedgerKeyAsync(bool unprotected, CancellationToken cancellationToken)
    {
        const string Name = "ledger-key";
        const string Site = "cleveland";
        DirectoryInfo folder = Directory.CreateTempSubdirectory("consortia-redteam-ledger-");
        try
        {
            string ledgerPath = Path.Combine(folder.FullName, "site-ledger.db");
            string beside = Path.Combine(folder.FullName, "ledger.pub.pem");
            string rosterPath = Path.Combine(folder.FullName, "roster.json");
            using (EcdsaLedgerSigner siteKey = EcdsaLedgerSigner.Generate())
            {
                // The site as it runs: its key in the roster it joined, its ledger, the convenience copy of its public key.
                await File.WriteAllTextAsync(rosterPath, ConsortiumRoster.Empty("heart-consortium").With(ConsortiumRoster.Join("heart-consortium", Site, siteKey)).ToJson(), cancellationToken).ConfigureAwait(false);
                Write(ledgerPath, siteKey, charged: true);
                await File.WriteAllTextAsync(beside, siteKey.PublicKey.ExportPem(), cancellationToken).ConfigureAwait(false);
            }

            // The rewrite: the charge is gone, the chain is new and signed under a fresh key, whose public key now lies beside it.
            File.Delete(ledgerPath);
            using (EcdsaLedgerSigner forger = EcdsaLedgerSigner.Generate())
            {
                Write(ledgerPath, forger, charged: false);
                await File.WriteAllTextAsync(beside, forger.PublicKey.ExportPem(), cancellationToken).ConfigureAwait(false);
            }

            string[] args = unprotected
                ? ["audit", "verify", "--ledger", ledgerPath, "--public-key", beside]
                : ["audit", "verify", "--ledger", ledgerPath, "--roster", rosterPath];
            (int exit, string output) = await RunAsync(args, cancellationToken).ConfigureAwait(false);
            string first = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Replace(folder.FullName + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal) ?? "(no output)";
            string how = unprotected ? "against the key file beside the ledger (--public-key ledger.pub.pem)" : "against the site's key in the consortium roster (--roster roster.json)";
            return exit == 0
                ? new AttackOutcome(Name, false, $"the site's ledger, rewritten under a fresh key without its privacy charge, verified {how}: {first}")
                : new AttackOutcome(Name, true, $"the ledger rewritten under a fresh key was reported by `audit verify` {how} (exit {exit}): {first}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>A site ledger: its policy, then (when <paramref name="charged"/>) a privacy charge of ε = 1 for a job.</summary>
    private static void Write(string path, EcdsaLedgerSigner key, bool charged)
    {
        using AuditLedger ledger = AuditLedger.Open(path, "cleveland", LedgerRole.Site, key, TimeProvider.System);
        ledger.Append(new ConfigurationChangeEvent("policy", null, Sha256Hex.OfText("policy.yaml"), "site policy"));
        if (charged)
        {
            ledger.Append(new PrivacyChargeEvent("redteam-ledger", 1, Governance.Policies.DpMode.SampleLevel, 1.0, 1e-5));
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        int exit = await ConsortiaCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken).ConfigureAwait(false);
        return (exit, stdout.ToString() + stderr);
    }

    private static X509Certificate2 Provision(string home)
    {
        using CoordinatorIdentity identity = CoordinatorIdentity.Provision("redteam", home, ["localhost", "127.0.0.1"], TimeProvider.System);
        return X509CertificateLoader.LoadCertificate(identity.Ca.RawData);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string url, string authority, CancellationToken cancellationToken)
    {
        using HttpRequestMessage request = new(method, url)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = authority; // the forged :authority
        if (method == HttpMethod.Post)
        {
            // A well-formed empty gRPC message: one frame header (not compressed, length 0).
            request.Content = new ByteArrayContent(new byte[5]);
            request.Content.Headers.ContentType = new("application/grpc");
            request.Headers.TryAddWithoutValidation("te", "trailers");
        }

        using HttpResponseMessage response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? grpc = response.TrailingHeaders.TryGetValues("grpc-status", out IEnumerable<string>? trailer) ? trailer.FirstOrDefault()
            : response.Headers.TryGetValues("grpc-status", out IEnumerable<string>? header) ? header.FirstOrDefault() : null;
        return (response.StatusCode, method == HttpMethod.Post ? grpc ?? "none" : body);
    }
}
