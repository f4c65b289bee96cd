using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Federation;
using Consortia.Network.Coordinator;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Consortia.Network.Identity;

/// <summary>
/// The coordinator's identity, opened from its home directory (made by <see cref="Provision"/>): the
/// consortium CA, the coordinator's TLS certificate, enrollment tokens, issued certificates and revocations.
/// Gives the TLS settings of the coordinator's endpoints, the enrollment service and the per-call site check.
/// </summary>
public sealed partial class CoordinatorIdentity : IDisposable
{
    private readonly IdentityStore _store;
    private bool _disposed;

    private CoordinatorIdentity(string home, X509Certificate2 ca, X509Certificate2 coordinator, IdentityStore store, TimeProvider time)
    {
        Home = home;
        Ca = ca;
        Coordinator = coordinator;
        _store = store;
        Time = time;
        CaPin = ConsortiumPki.CaPin(ca);
    }

    /// <summary>The coordinator home.</summary>
    public string Home { get; }

    /// <summary>The consortium CA certificate, with its private key (it signs site certificates).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The coordinator's TLS server certificate, with its private key.</summary>
    public X509Certificate2 Coordinator { get; }

    /// <summary>The CA pin tokens carry (<see cref="ConsortiumPki.CaPin"/>).</summary>
    public string CaPin { get; }

    /// <summary>The clock used for token expiry and certificate validity.</summary>
    public TimeProvider Time { get; }

    /// <summary>How long certificates issued at enrollment are valid.</summary>
    public TimeSpan SiteCertificateValidity { get; set; } = ConsortiumPki.SiteValidity;

    /// <summary>
    /// Creates a coordinator home in <paramref name="directory"/>: the consortium CA, the coordinator's
    /// certificate for <paramref name="hosts"/>, the admin credential and an empty identity database.
    /// </summary>
    /// <exception cref="IdentityException">The directory already holds a coordinator home (or any of its files), or an argument is invalid.</exception>
    public static CoordinatorIdentity Provision(string consortium, string directory, IReadOnlyList<string> hosts, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(time);
        if (string.IsNullOrWhiteSpace(consortium))
        {
            throw new IdentityException("the consortium needs a name");
        }

        string home = Path.GetFullPath(directory);
        foreach (string file in IdentityFiles.CoordinatorHome)
        {
            if (File.Exists(Path.Combine(home, file)))
            {
                throw new IdentityException($"{home} already holds a coordinator home ({file} exists); refusing to overwrite it");
            }
        }

        Directory.CreateDirectory(home);
        DateTimeOffset now = time.GetUtcNow();
        using X509Certificate2 ca = ConsortiumPki.CreateCa(consortium, now);
        using X509Certificate2 coordinator = ConsortiumPki.IssueCoordinator(ca, hosts.Count == 0 ? ["localhost", "127.0.0.1"] : hosts, now);
        IdentityFiles.WriteNew(Path.Combine(home, IdentityFiles.CaKey), ConsortiumPki.PrivateKeyPem(ca), secret: true);
        IdentityFiles.WriteNew(Path.Combine(home, IdentityFiles.CaCertificate), ca.ExportCertificatePem() + "\n", secret: false);
        IdentityFiles.WriteNew(Path.Combine(home, IdentityFiles.CoordinatorKey), ConsortiumPki.PrivateKeyPem(coordinator), secret: true);
        IdentityFiles.WriteNew(Path.Combine(home, IdentityFiles.CoordinatorCertificate), coordinator.ExportCertificatePem() + "\n", secret: false);
        IdentityFiles.WriteNew(Path.Combine(home, IdentityFiles.AdminToken), Identity.AdminCredential.NewToken() + "\n", secret: true);
        string database = Path.Combine(home, IdentityFiles.Database);
        IdentityFiles.WriteNew(database, "", secret: true);
        IdentityStore.Open(database, create: true);
        return Open(home, time);
    }

    /// <summary>Opens the coordinator home <paramref name="home"/>.</summary>
    /// <exception cref="IdentityException">A file is missing or unreadable.</exception>
    public static CoordinatorIdentity Open(string home, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(home);
        ArgumentNullException.ThrowIfNull(time);
        home = Path.GetFullPath(home);
        foreach (string file in IdentityFiles.CoordinatorHome)
        {
            if (!File.Exists(Path.Combine(home, file)))
            {
                throw new IdentityException($"{Path.Combine(home, file)}: missing; is {home} a coordinator home made by `consortia provision`?");
            }
        }

        X509Certificate2? ca = null;
        try
        {
            ca = ConsortiumPki.LoadWithKey(Path.Combine(home, IdentityFiles.CaCertificate), Path.Combine(home, IdentityFiles.CaKey));
            X509Certificate2 coordinator = ConsortiumPki.LoadWithKey(Path.Combine(home, IdentityFiles.CoordinatorCertificate), Path.Combine(home, IdentityFiles.CoordinatorKey));
            IdentityStore store = IdentityStore.Open(Path.Combine(home, IdentityFiles.Database), create: false);
            return new CoordinatorIdentity(home, ca, coordinator, store, time);
        }
        catch (CryptographicException e)
        {
            ca?.Dispose();
            throw new IdentityException($"{home}: cannot read the CA or coordinator certificate and key: {e.Message}", e);
        }
    }

    /// <summary>The admin credential of the coordinator home <paramref name="home"/>.</summary>
    public static AdminCredential AdminCredential(string home) =>
        Identity.AdminCredential.Load(Path.Combine(home, IdentityFiles.AdminToken));

    /// <summary>Mints a one-time enrollment token for <paramref name="site"/>, valid for <paramref name="lifetime"/>.</summary>
    /// <returns>The token's text (shown once; only its hash is stored).</returns>
    public string CreateToken(string site, TimeSpan lifetime)
    {
        SiteNames.Validate(site);
        if (lifetime <= TimeSpan.Zero)
        {
            throw new IdentityException("a token's lifetime must be positive");
        }

        EnrollmentToken token = EnrollmentToken.Create(site, CaPin);
        DateTimeOffset now = Time.GetUtcNow();
        _store.AddToken(token, now, now + lifetime);
        return token.ToString();
    }

    /// <summary>Revokes every certificate of <paramref name="site"/>; returns how many were revoked.</summary>
    public int Revoke(string site) => _store.Revoke(SiteNames.Validate(site), Time.GetUtcNow());

    /// <summary>Revokes the one certificate with <paramref name="serial"/> (e.g. the old one after a renewal).</summary>
    /// <returns>The certificate revoked.</returns>
    /// <exception cref="IdentityException">No certificate with this serial was issued, or it was revoked before.</exception>
    public IssuedCertificate RevokeSerial(string serial)
    {
        ArgumentNullException.ThrowIfNull(serial);
        string normalized = serial.Trim().ToUpperInvariant();
        IssuedCertificate? known = _store.Certificates().FirstOrDefault(c => c.Serial == normalized)
            ?? throw new IdentityException($"no certificate with serial {normalized} was issued by this coordinator (`consortia site list` shows them)");
        if (!_store.RevokeSerial(normalized, Time.GetUtcNow()))
        {
            throw new IdentityException($"certificate {normalized} of site '{known.Site}' was revoked before");
        }

        return _store.Certificates().First(c => c.Serial == normalized);
    }

    /// <summary>Every enrollment token (id, site, times, state), newest first; never their secrets.</summary>
    public IReadOnlyList<TokenRecord> Tokens() => _store.Tokens();

    /// <summary>Revokes the unused token whose id (<see cref="TokenRecord.Id"/>, or a unique prefix of it) is <paramref name="id"/>.</summary>
    /// <returns>The token revoked.</returns>
    /// <exception cref="IdentityException">No token or several match, or it was used or revoked already.</exception>
    public TokenRecord RevokeToken(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        string prefix = id.Trim().ToLowerInvariant();
        if (prefix.Length < 6 || !prefix.All(char.IsAsciiHexDigitLower))
        {
            throw new IdentityException($"'{id}' is not a token id: expected at least 6 of the hex digits `consortia token list` shows");
        }

        (int matched, int revoked) = _store.RevokeToken(prefix, Time.GetUtcNow());
        if (matched != 1)
        {
            throw new IdentityException(matched == 0 ? $"no token has id {prefix}" : $"{matched} tokens start with {prefix}; give more digits");
        }

        TokenRecord token = _store.Tokens().First(t => t.Id.StartsWith(prefix, StringComparison.Ordinal));
        return revoked == 1 ? token : throw new IdentityException($"token {token.Id} of site '{token.Site}' cannot be revoked: it is {token.StateAt(Time.GetUtcNow())}");
    }

    /// <summary>Every certificate issued, with its revocation, by site.</summary>
    public IReadOnlyList<IssuedCertificate> Certificates() => _store.Certificates();

    /// <summary>
    /// The roster key recorded for <paramref name="site"/>: the one of its most recently issued certificate, or
    /// <see langword="null"/> when it never sent one (or is unknown).
    /// </summary>
    /// <param name="site">The site.</param>
    /// <returns>The key.</returns>
    public Consortia.Governance.Audit.LedgerPublicKey? RosterKeyOf(string site) =>
        RosterKeyBinding.Read(_store.LatestRosterKeys().GetValueOrDefault(site));

    /// <summary>Every site's roster key as recorded with its most recently issued certificate (sites without one are absent).</summary>
    /// <returns>Site → key.</returns>
    public IReadOnlyDictionary<string, Consortia.Governance.Audit.LedgerPublicKey> RosterKeys() =>
        _store.LatestRosterKeys()
            .Select(p => (p.Key, Key: RosterKeyBinding.Read(p.Value)))
            .Where(p => p.Key is not null)
            .ToDictionary(p => p.Item1, p => p.Key!, StringComparer.Ordinal);

    /// <summary>The sites holding a certificate that is neither revoked nor expired, in ordinal order.</summary>
    public IReadOnlyList<SiteId> ActiveSites()
    {
        DateTimeOffset now = Time.GetUtcNow();
        return [.. _store.Certificates()
            .Where(c => c.RevokedAt is null && c.NotBefore <= now && now <= c.NotAfter)
            .Select(c => c.Site)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(s => new SiteId(s))];
    }

    /// <summary>
    /// Redeems <paramref name="tokenText"/> for the CSR <paramref name="csrPem"/>: checks the CSR's
    /// signature, that its subject is exactly CN=&lt;the token's site&gt; and its key is P-256, then marks the
    /// token used and issues the site certificate, atomically.
    /// </summary>
    /// <param name="tokenText">The one-time token.</param>
    /// <param name="csrPem">The CSR.</param>
    /// <param name="rosterKey">The site's roster key (base64 SubjectPublicKeyInfo), or <see langword="null"/>/empty for none.</param>
    /// <param name="rosterKeySignature">The key's signature of <see cref="RosterKeyBinding.Statement"/> (hex).</param>
    /// <returns>The site certificate; the roster key, when sent, is recorded with it.</returns>
    /// <exception cref="EnrollmentRefusedException">The token, the CSR or the roster key binding is refused (with the gRPC status to answer).</exception>
    public X509Certificate2 Enroll(string tokenText, string csrPem, string? rosterKey = null, string? rosterKeySignature = null)
    {
        EnrollmentToken token;
        try
        {
            token = EnrollmentToken.Parse(tokenText ?? "");
        }
        catch (IdentityException e)
        {
            throw new EnrollmentRefusedException(StatusCode.InvalidArgument, e.Message, null);
        }

        if (!string.Equals(token.CaPin, CaPin, StringComparison.Ordinal))
        {
            throw new EnrollmentRefusedException(StatusCode.PermissionDenied, "the token pins another consortium CA", token.Site);
        }

        DateTimeOffset now = Time.GetUtcNow();
        TokenProblem early = _store.Check(token, now);
        if (early != TokenProblem.None)
        {
            throw Refused(early, token.Site);
        }

        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(csrPem ?? "", HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException e)
        {
            throw new EnrollmentRefusedException(StatusCode.InvalidArgument, $"the CSR is malformed or its signature does not verify: {e.Message}", token.Site);
        }

        string? name = ConsortiumPki.SoleCommonName(request.SubjectName);
        if (!string.Equals(name, token.Site, StringComparison.Ordinal))
        {
            throw new EnrollmentRefusedException(StatusCode.PermissionDenied, $"the CSR's subject '{request.SubjectName.Name}' is not CN={token.Site}, the token's site", token.Site);
        }

        if (!ConsortiumPki.IsP256(request.PublicKey))
        {
            throw new EnrollmentRefusedException(StatusCode.InvalidArgument, "the CSR's key is not an ECDSA P-256 key", token.Site);
        }

        string? recordedKey = RosterKeyBinding.Verify(token.Site, csrPem!, rosterKey, rosterKeySignature);
        X509Certificate2? issued = null;
        TokenProblem problem = _store.Redeem(token, now, () =>
        {
            issued = ConsortiumPki.IssueSite(Ca, token.Site, request.PublicKey, now, SiteCertificateValidity);
            return new IssuedCertificate(token.Site, issued.SerialNumber, issued.NotBefore.ToUniversalTime(), issued.NotAfter.ToUniversalTime(), now, null) { RosterKey = recordedKey };
        });
        if (problem != TokenProblem.None)
        {
            issued?.Dispose();
            throw Refused(problem, token.Site);
        }

        return issued!;
    }

    /// <summary>
    /// Renews the certificate of an enrolled site: <paramref name="current"/> (already authorized on this call)
    /// presents a CSR for a new key; the new certificate is valid for <see cref="SiteCertificateValidity"/>
    /// from now. The current certificate stays valid until its own expiry (revoke it by serial if its key may
    /// be compromised), so replies in flight on the old connection are not lost.
    /// </summary>
    /// <param name="site">The caller's site.</param>
    /// <param name="current">The caller's current certificate.</param>
    /// <param name="csrPem">The CSR for the new key.</param>
    /// <param name="rosterKey">The site's roster key now, or <see langword="null"/>/empty to keep the one recorded with <paramref name="current"/>.</param>
    /// <param name="rosterKeySignature">Its signature of <see cref="RosterKeyBinding.Statement"/>.</param>
    /// <returns>The new certificate and the roster key recorded before it (to report a change).</returns>
    /// <exception cref="EnrollmentRefusedException">The CSR is malformed, names another site, holds another key type, reuses the current key, or the roster key binding does not verify.</exception>
    public (X509Certificate2 Certificate, string? PreviousRosterKey, string? RosterKey) Renew(SiteId site, X509Certificate2 current, string csrPem, string? rosterKey = null, string? rosterKeySignature = null)
    {
        ArgumentNullException.ThrowIfNull(current);
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(csrPem ?? "", HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException e)
        {
            throw new EnrollmentRefusedException(StatusCode.InvalidArgument, $"the CSR is malformed or its signature does not verify: {e.Message}", site.Value);
        }

        string? name = ConsortiumPki.SoleCommonName(request.SubjectName);
        if (!string.Equals(name, site.Value, StringComparison.Ordinal))
        {
            throw new EnrollmentRefusedException(StatusCode.PermissionDenied, $"the CSR's subject '{request.SubjectName.Name}' is not CN={site}, the caller's site", site.Value);
        }

        if (!ConsortiumPki.IsP256(request.PublicKey))
        {
            throw new EnrollmentRefusedException(StatusCode.InvalidArgument, "the CSR's key is not an ECDSA P-256 key", site.Value);
        }

        if (request.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(current.PublicKey.ExportSubjectPublicKeyInfo()))
        {
            throw new EnrollmentRefusedException(StatusCode.InvalidArgument, "the CSR reuses the current certificate's key; a renewal rotates the key", site.Value);
        }

        // A renewal is the one way a site records a new roster key; without one it keeps the key recorded before.
        string? previous = _store.RosterKeyOf(current.SerialNumber);
        string? recorded = RosterKeyBinding.Verify(site.Value, csrPem!, rosterKey, rosterKeySignature) ?? previous;
        DateTimeOffset now = Time.GetUtcNow();
        X509Certificate2 issued = ConsortiumPki.IssueSite(Ca, site.Value, request.PublicKey, now, SiteCertificateValidity);
        _store.AddCertificate(new IssuedCertificate(site.Value, issued.SerialNumber, issued.NotBefore.ToUniversalTime(), issued.NotAfter.ToUniversalTime(), now, null) { RosterKey = recorded }, renewedFrom: current.SerialNumber);
        return (issued, previous, recorded);
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> may speak for a site now: it chains to the consortium CA alone,
    /// carries ClientAuth, is within its validity, was issued by this coordinator to the site its CN names,
    /// and is not revoked. Used at the TLS handshake and again on every call.
    /// </summary>
    public bool TryAuthorizeSite(X509Certificate2? certificate, out SiteId site, out string problem) =>
        Check(certificate, checkRevocation: true, out site, out problem);

    /// <summary>
    /// The TLS handshake's check of the sites endpoint: as <see cref="TryAuthorizeSite"/> but a revoked
    /// certificate passes, so that its node is refused by the per-call check with a message naming the
    /// revocation (a refused handshake reaches the node as an unreadable TLS error, and it would keep
    /// retrying without knowing why). A revoked certificate still gets no service: every call is refused.
    /// </summary>
    public bool AcceptsAtHandshake(X509Certificate2? certificate) =>
        Check(certificate, checkRevocation: false, out _, out _);

    private bool Check(X509Certificate2? certificate, bool checkRevocation, out SiteId site, out string problem)
    {
        site = default;
        if (certificate is null)
        {
            problem = "no client certificate";
            return false;
        }

        if (!ConsortiumPki.ChainsTo(certificate, Ca, Time.GetUtcNow(), ConsortiumPki.ClientAuthOid, out problem))
        {
            return false;
        }

        string? name = ConsortiumPki.SoleCommonName(certificate.SubjectName);
        if (!SiteNames.IsValid(name))
        {
            problem = $"the certificate's subject '{certificate.Subject}' does not name a site";
            return false;
        }

        (string Site, bool Revoked)? known = _store.Lookup(certificate.SerialNumber);
        if (known is not { } record || !string.Equals(record.Site, name, StringComparison.Ordinal))
        {
            problem = $"certificate {certificate.SerialNumber} for '{name}' was not issued by this coordinator";
            return false;
        }

        if (record.Revoked && checkRevocation)
        {
            problem = $"certificate {certificate.SerialNumber} of site '{name}' is revoked";
            return false;
        }

        site = new SiteId(name!);
        problem = "";
        return true;
    }

    /// <summary>The sites endpoint: TLS 1.3, client certificates required and checked by <see cref="TryAuthorizeSite"/>.</summary>
    public void UseSiteTls(ListenOptions listen) => MutualTls.UseSiteTls(listen, this);

    /// <summary>The enrollment and admin endpoints: TLS 1.3 with the coordinator's certificate, no client certificate.</summary>
    public void UseServerTls(ListenOptions listen) => MutualTls.UseServerTls(listen, Coordinator);

    /// <summary>
    /// Registers this identity, the enrollment service's dependencies and <see cref="SiteIdentityInterceptor"/>
    /// on <see cref="SiteGatewayService"/> and the renewal service (call after <c>AddGrpc</c>, or instead of it).
    /// </summary>
    public void Register(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(this);
        services.TryAddSingleton<IRosterSource>(new HomeRosterSource(RosterPath)); // a coordinator hosting several consortia registers its own first
        services.AddSingleton<SiteIdentityInterceptor>();
        services.AddGrpc()
            .AddServiceOptions<SiteGatewayService>(o => o.Interceptors.Add<SiteIdentityInterceptor>())
            .AddServiceOptions<RenewalService>(o => o.Interceptors.Add<SiteIdentityInterceptor>())
            .AddServiceOptions<RosterDistributionService>(o => o.Interceptors.Add<SiteIdentityInterceptor>());
    }

    /// <summary>
    /// The roster the coordinator proposes to its sites: <c>HOME/roster.json</c>. <c>consortia roster add --roster</c>
    /// with this path publishes a roster; <see cref="MapRoster"/> serves it.
    /// </summary>
    public string RosterPath => Path.Combine(Home, "roster.json");

    /// <summary>Maps the roster service (serve it on the sites endpoint: only enrolled sites fetch the roster).</summary>
    public IEndpointConventionBuilder MapRoster(IEndpointRouteBuilder app)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return app.MapGrpcService<RosterDistributionService>();
    }

    /// <summary>Maps the certificate renewal service (serve it on the sites endpoint: it needs the caller's certificate and the site check).</summary>
    public IEndpointConventionBuilder MapRenewal(IEndpointRouteBuilder app)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return app.MapGrpcService<RenewalService>();
    }

    /// <summary>Maps the enrollment gRPC service (serve it on an endpoint configured with <see cref="UseServerTls"/>).</summary>
    public IEndpointConventionBuilder MapEnrollment(IEndpointRouteBuilder app)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return app.MapGrpcService<EnrollmentService>();
    }

    /// <summary>Requires the site identity check on the gRPC service <typeparamref name="TService"/>.</summary>
    public static IGrpcServerBuilder RequireSiteIdentity<TService>(IGrpcServerBuilder grpc)
        where TService : class =>
        grpc.AddServiceOptions<TService>(o => o.Interceptors.Add<SiteIdentityInterceptor>());

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        Ca.Dispose();
        Coordinator.Dispose();
    }

    private static EnrollmentRefusedException Refused(TokenProblem problem, string site) => problem switch
    {
        TokenProblem.Unknown => new EnrollmentRefusedException(StatusCode.PermissionDenied, "unknown token", site),
        TokenProblem.AlreadyUsed => new EnrollmentRefusedException(StatusCode.PermissionDenied, "token already used", site),
        TokenProblem.Expired => new EnrollmentRefusedException(StatusCode.PermissionDenied, "token expired", site),
        TokenProblem.OtherSite => new EnrollmentRefusedException(StatusCode.PermissionDenied, "token is for another site", site),
        TokenProblem.Revoked => new EnrollmentRefusedException(StatusCode.PermissionDenied, "token revoked", site),
        _ => throw new ArgumentOutOfRangeException(nameof(problem)),
    };
}

/// <summary>An enrollment the coordinator refused, with the gRPC status it answers.</summary>
public sealed class EnrollmentRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EnrollmentRefusedException(StatusCode status, string message, string? site) : base(message)
    {
        Status = status;
        Site = site;
    }

    /// <summary>Creates the exception.</summary>
    public EnrollmentRefusedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public EnrollmentRefusedException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EnrollmentRefusedException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>The gRPC status to answer.</summary>
    public StatusCode Status { get; } = StatusCode.PermissionDenied;

    /// <summary>The site the token names, when it parsed.</summary>
    public string? Site { get; }
}
