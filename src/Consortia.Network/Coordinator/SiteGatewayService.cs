using System.Security.Cryptography.X509Certificates;
using Consortia.Federation;
using Consortia.Network.Identity;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>
/// The coordinator's gRPC service for site nodes. The caller is always the site named by its client
/// certificate (validated against the consortium CA by the TLS layer, revocation checked per call by the
/// identity interceptor); nothing a node writes in a message can make it speak for another site.
/// </summary>
internal sealed partial class SiteGatewayService(GrpcSiteTransport transport, NetworkMetrics metrics, ILogger<SiteGatewayService> log) : SiteGateway.SiteGatewayBase
{
    /// <summary>How often nodes should send heartbeats.</summary>
    public const int HeartbeatSeconds = 5;

    /// <inheritdoc />
    public override async Task PullWork(PullWorkRequest request, IServerStreamWriter<WorkFrame> responseStream, ServerCallContext context)
    {
        SiteId site = Identify(context);
        object? claim = transport.Claims.TryClaim(site, request.NodeInstance, context.Peer, out string duplicate);
        if (claim is null)
        {
            LogDuplicate(site.Value, duplicate);
            throw new RpcException(new Status(StatusCode.AlreadyExists, duplicate));
        }

        LogStreamOpened(site.Value, request.NodeVersion);
        System.Threading.Channels.ChannelReader<object> reader;
        try
        {
            reader = transport.Open(site, request.NodeVersion, request.MaxConcurrentTasks, request.ExamplesPerSecond);
        }
        catch
        {
            transport.Claims.Release(site, claim);
            throw;
        }
        try
        {
            // Headers now, so the node knows it is connected before the first work item exists.
            await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);
            await foreach (object item in reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                switch (item)
                {
                    case WorkFrame frame:
                        await responseStream.WriteAsync(frame, context.CancellationToken).ConfigureAwait(false);
                        break;
                    case GrpcSiteTransport.PendingItem pending:
                        foreach (WorkFrame frame in pending.Frames!)
                        {
                            await responseStream.WriteAsync(frame, context.CancellationToken).ConfigureAwait(false);
                            metrics.Sent(frame.Chunk?.Data.Length ?? 0);
                        }

                        break;
                }
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The node went away or the coordinator is shutting down.
        }
        finally
        {
            transport.Close(site, reader);
            transport.Claims.Release(site, claim);
            LogStreamClosed(site.Value);
        }
    }

    /// <inheritdoc />
    public override async Task<PushReplyAck> PushReply(IAsyncStreamReader<ReplyFrame> requestStream, ServerCallContext context)
    {
        SiteId site = Identify(context);
        transport.Touch(site);
        try
        {
            if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false) || requestStream.Current.KindCase != ReplyFrame.KindOneofCase.Reply)
            {
                throw new InvalidDataException("a reply must start with its header.");
            }

            ReplyHeader header = requestStream.Current.Reply;
            PayloadAssembler payload = new(header.ItemId, WireCodec.Vectors(header), header.PayloadBytes);
            while (!payload.IsComplete)
            {
                if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
                {
                    throw new InvalidDataException($"item {header.ItemId}: the stream ended before all {header.PayloadBytes} payload bytes arrived.");
                }

                if (requestStream.Current.KindCase != ReplyFrame.KindOneofCase.Chunk)
                {
                    throw new InvalidDataException($"item {header.ItemId}: a second header arrived before the payload was complete.");
                }

                payload.Add(requestStream.Current.Chunk);
                metrics.Received(requestStream.Current.Chunk.Data.Length);
            }

            if (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                throw new InvalidDataException($"item {header.ItemId}: frames after the complete reply.");
            }

            // Before the reply is handed on: the engine that receives a training reply then already sizes work by the new speed.
            transport.ReportSpeed(site, header.ExamplesPerSecond);
            string? problem = transport.Complete(site, header, payload);
            if (problem is not null)
            {
                metrics.Rejected();
                LogRejected(site.Value, problem);
                throw new RpcException(new Status(StatusCode.FailedPrecondition, problem));
            }

            return new PushReplyAck();
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            metrics.Rejected();
            LogRejected(site.Value, e.Message);
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }

    /// <inheritdoc />
    public override Task<HeartbeatReply> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        transport.Touch(Identify(context));
        return Task.FromResult(new HeartbeatReply { IntervalSeconds = HeartbeatSeconds });
    }

    /// <summary>
    /// The calling site: as authenticated by <see cref="Identity.SiteIdentityInterceptor"/> (chain, validity and
    /// revocation checked on this call); hosts without the interceptor (transport tests) fall back to the common
    /// name of the client certificate that the TLS layer already validated against the consortium CA.
    /// </summary>
    internal static SiteId Identify(ServerCallContext context)
    {
        if (context.UserState.ContainsKey(Identity.SiteCallContextExtensions.Key))
        {
            return context.GetSiteIdentity();
        }

        X509Certificate2? certificate = context.GetHttpContext().Connection.ClientCertificate;
        string? name = certificate?.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrEmpty(name)
            ? throw new RpcException(new Status(StatusCode.Unauthenticated, "a client certificate naming the site is required"))
            : new SiteId(name);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site} opened its work stream (node {Version})")]
    private partial void LogStreamOpened(string site, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused a second node for site {Site}: {Problem}")]
    private partial void LogDuplicate(string site, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site} closed its work stream")]
    private partial void LogStreamClosed(string site);

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused a reply from site {Site}: {Problem}")]
    private partial void LogRejected(string site, string problem);
}
