using System.Security.Cryptography.X509Certificates;
using Consortia.Network.Identity;
using Consortia.Network.Protos;
using Grpc.Core;
using Grpc.Net.Client;

namespace Consortia.Network.Coordinator;

/// <summary>
/// The operators' client of the coordinator's admin API (<c>consortia job submit|status|list|cancel</c>):
/// TLS 1.3 with the server certificate pinned to the consortium CA, and the admin bearer credential.
/// </summary>
public sealed class JobAdminClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly JobAdmin.JobAdminClient _client;
    private readonly Metadata _credential;
    private readonly X509Certificate2 _ca;

    private JobAdminClient(GrpcChannel channel, X509Certificate2 ca, string adminToken)
    {
        _channel = channel;
        _ca = ca;
        _client = new JobAdmin.JobAdminClient(channel);
        _credential = new Metadata { { "authorization", "Bearer " + adminToken } };
    }

    /// <summary>Connects to the admin endpoint at <paramref name="address"/>.</summary>
    /// <param name="address">The admin endpoint, e.g. <c>https://127.0.0.1:7445</c>.</param>
    /// <param name="caCertificatePem">The consortium CA certificate (the only trusted root).</param>
    /// <param name="adminToken">The admin credential (the coordinator home's <c>admin.token</c>).</param>
    public static JobAdminClient Connect(Uri address, string caCertificatePem, string adminToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        X509Certificate2 ca = X509Certificate2.CreateFromPem(caCertificatePem);
        SocketsHttpHandler handler = MutualTls.CreatePinnedHandler(ca, TimeProvider.System);
        // Models come back in one message (`job model`): allow far more than gRPC's default 4 MB.
        GrpcChannel channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 1 << 30 });
        return new JobAdminClient(channel, ca, adminToken.Trim());
    }

    /// <summary>Submits a job file.</summary>
    /// <exception cref="RpcException">The coordinator refused the file (InvalidArgument, with the loader's message) or could not be reached.</exception>
    public async Task<JobOverview> SubmitAsync(string jobYaml, string fileName, CancellationToken cancellationToken) =>
        JobOverview.FromWire(await _client.SubmitJobAsync(new SubmitJobRequest { JobYaml = jobYaml, FileName = fileName }, _credential, cancellationToken: cancellationToken).ConfigureAwait(false));

    /// <summary>A job's status and round history.</summary>
    /// <exception cref="RpcException">No such job (NotFound), or the coordinator could not be reached.</exception>
    public async Task<JobOverview> GetAsync(string jobId, CancellationToken cancellationToken) =>
        JobOverview.FromWire(await _client.GetJobAsync(new JobRequest { JobId = jobId }, _credential, cancellationToken: cancellationToken).ConfigureAwait(false));

    /// <summary>All jobs in submission order, whatever their state, without their round history.</summary>
    public async Task<IReadOnlyList<JobOverview>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await _client.ListJobsAsync(new ListJobsRequest(), _credential, cancellationToken: cancellationToken).ConfigureAwait(false)).Jobs.Select(JobOverview.FromWire)];

    /// <summary>Asks the coordinator to cancel a job (it stops at the next safe point; other jobs go on).</summary>
    /// <exception cref="RpcException">No such job (NotFound), or the coordinator could not be reached.</exception>
    public async Task<JobOverview> CancelAsync(string jobId, CancellationToken cancellationToken) =>
        JobOverview.FromWire(await _client.CancelJobAsync(new JobRequest { JobId = jobId }, _credential, cancellationToken: cancellationToken).ConfigureAwait(false));

    /// <summary>A job's newest committed model (the final model once completed).</summary>
    /// <exception cref="RpcException">No such job (NotFound), the job has not started (FailedPrecondition), or the coordinator could not be reached.</exception>
    public async Task<ModelDownload> GetModelAsync(string jobId, CancellationToken cancellationToken) =>
        ModelDownload.FromWire(await _client.GetModelAsync(new JobRequest { JobId = jobId }, _credential, cancellationToken: cancellationToken).ConfigureAwait(false));

    /// <summary>The sites the coordinator has seen since it started, with their connection state, in site order.</summary>
    public async Task<IReadOnlyList<SiteOverview>> ListSitesAsync(CancellationToken cancellationToken) =>
        [.. (await _client.ListSitesAsync(new ListSitesRequest(), _credential, cancellationToken: cancellationToken).ConfigureAwait(false)).Sites.Select(SiteOverview.FromWire)];

    /// <summary>Audits a job's newest model for fairness at its sites and returns the report (JSON) and its hash as the coordinator's ledger records it.</summary>
    /// <param name="jobId">The job run.</param>
    /// <param name="groups">The attributes (names under the job's <c>fairness.groups</c>); empty: all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The report JSON and its SHA-256.</returns>
    /// <exception cref="RpcException">No such job (NotFound), the job cannot be audited (FailedPrecondition, saying why), or the coordinator could not be reached.</exception>
    public async Task<(string ReportJson, string ReportSha256)> AuditFairnessAsync(string jobId, IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(groups);
        FairnessAuditReport report = await _client.AuditFairnessAsync(new FairnessAuditRequest { JobId = jobId, Groups = { groups } }, _credential, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (report.ReportJson, report.ReportSha256);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _channel.Dispose();
        _ca.Dispose();
    }
}
