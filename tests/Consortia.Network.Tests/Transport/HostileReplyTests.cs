using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Google.Protobuf;
using Grpc.Core;

namespace Consortia.Network.Tests.Transport;

/// <summary>
/// Replies that are forged, malformed, late or repeated are refused with a reason and never complete a task;
/// the coordinator keeps serving the honest sites.
/// </summary>
[Trait("Category", "Slow")]
public sealed class HostileReplyTests
{
    private static readonly SiteId s_a = new("site-a");
    private static readonly SiteId s_b = new("site-b");
    private static readonly ParameterLayout s_layout = ParameterLayout.Create(("w", [4]));

    [Fact]
    public async Task Reply_ForUnknownItem_IsRefused()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([s_a, s_b]);
        SiteGateway.SiteGatewayClient a = federation.Client(federation.Pki.Issue(s_a.Value));

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => PushAsync(a, Failed("made-up-item", round: 1)));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("no open item", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reply_ForAnotherSitesItem_IsRefused_AndThatSiteCanStillAnswer()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([s_a, s_b]);
        await using IAsyncEnumerator<SiteReply> replies = federation.Transport
            .DispatchAsync([new EvaluateTask(s_b, new RoundNumber(1), new ParameterVector(s_layout))], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)
            .GetAsyncEnumerator(TestContext.Current.CancellationToken);
        ValueTask<bool> first = replies.MoveNextAsync();
        string itemOfB = Assert.Single(federation.Transport.PendingFor(s_b));

        RpcException forged = await Assert.ThrowsAsync<RpcException>(() => PushAsync(federation.Client(federation.Pki.Issue(s_a.Value)), Failed(itemOfB, round: 1)));
        await PushAsync(federation.Client(federation.Pki.Issue(s_b.Value)), Failed(itemOfB, round: 1));

        Assert.Equal(StatusCode.FailedPrecondition, forged.StatusCode);
        Assert.Contains("another site", forged.Status.Detail, StringComparison.Ordinal);
        Assert.True(await first);
        Assert.Equal(s_b, Assert.IsType<Failed>(replies.Current).Site);
    }

    [Fact]
    public async Task Reply_WithWrongRound_OrDuplicate_IsRefused()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([s_a, s_b]);
        await using IAsyncEnumerator<SiteReply> replies = federation.Transport
            .DispatchAsync([new EvaluateTask(s_a, new RoundNumber(3), new ParameterVector(s_layout))], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)
            .GetAsyncEnumerator(TestContext.Current.CancellationToken);
        ValueTask<bool> first = replies.MoveNextAsync();
        string item = Assert.Single(federation.Transport.PendingFor(s_a));
        SiteGateway.SiteGatewayClient a = federation.Client(federation.Pki.Issue(s_a.Value));

        RpcException wrongRound = await Assert.ThrowsAsync<RpcException>(() => PushAsync(a, Failed(item, round: 2)));
        await PushAsync(a, Failed(item, round: 3));
        RpcException duplicate = await Assert.ThrowsAsync<RpcException>(() => PushAsync(a, Failed(item, round: 3)));

        Assert.Contains("round 3", wrongRound.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, duplicate.StatusCode);
        Assert.True(await first);
    }

    [Fact]
    public async Task Reply_WhosePayloadDoesNotMatchItsHeader_IsInvalidArgument()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([s_a, s_b]);
        SiteGateway.SiteGatewayClient a = federation.Client(federation.Pki.Issue(s_a.Value));
        ReplyHeader header = new()
        {
            ItemId = "x",
            Round = 1,
            PayloadBytes = 12, // the vector below needs 16
            TrainingCompleted = new TrainingCompletedProto { WeightedDelta = new VectorRef { Kind = VectorKind.Float32, Length = 4, Segments = { new Segment { Name = "w", Shape = { 4 } } } }, Weight = 1 },
        };

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => PushAsync(a, new ReplyFrame { Reply = header }, new ReplyFrame { Chunk = new Chunk { ItemId = "x", Offset = 0, Data = ByteString.CopyFrom(new byte[12]) } }));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("payload bytes", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Task_PastItsDeadline_IsMissed_AndTheLateReplyRefused()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([s_a, s_b]);
        List<SiteReply> replies = [];
        string? item = null;
        await foreach (SiteReply reply in federation.Transport.DispatchAsync([new EvaluateTask(s_a, new RoundNumber(1), new ParameterVector(s_layout))], TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken))
        {
            replies.Add(reply);
        }

        IReadOnlyList<string> open = federation.Transport.PendingFor(s_a);
        item = open.Count > 0 ? open[0] : null;
        RpcException late = await Assert.ThrowsAsync<RpcException>(() => PushAsync(federation.Client(federation.Pki.Issue(s_a.Value)), Failed(item ?? "gone", round: 1)));

        Assert.IsType<Missed>(Assert.Single(replies));
        Assert.Null(item);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
    }

    [Fact]
    public async Task Reply_WhosePrivacyReportNamesAnotherSite_IsInvalidArgument_AndLeavesTheItemOpen()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([s_a, s_b]);
        await using IAsyncEnumerator<SiteReply> replies = federation.Transport
            .DispatchAsync([new EvaluateTask(s_a, new RoundNumber(1), new ParameterVector(s_layout))], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)
            .GetAsyncEnumerator(TestContext.Current.CancellationToken);
        ValueTask<bool> first = replies.MoveNextAsync();
        string item = Assert.Single(federation.Transport.PendingFor(s_a));
        SiteGateway.SiteGatewayClient a = federation.Client(federation.Pki.Issue(s_a.Value));
        ReplyHeader forged = new()
        {
            ItemId = item,
            Round = 1,
            TrainingPrepared = new TrainingPreparedProto { Steps = 3, Privacy = new SitePrivacyProto { Site = s_b.Value, Epsilon = 0.1, RoundEpsilon = 0.1, Delta = 1e-5, NoiseMultiplier = 1, SampleRate = 0.1, Steps = 3, Mechanism = "sampled_gaussian" } },
        };

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => PushAsync(a, new ReplyFrame { Reply = forged }));
        await PushAsync(a, Failed(item, round: 1)); // the item is still open: the forged reply did not complete it

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("training_prepared.privacy.site: the report names 'site-b', but it came from 'site-a'.", refused.Status.Detail);
        Assert.True(await first);
        Assert.IsType<Failed>(replies.Current);
    }

    [Fact]
    public async Task Caller_WithCertificateFromAnotherCa_CannotConnect()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([s_a, s_b]);
        using TestPki stranger = new();

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => federation.Client(stranger.Issue(s_a.Value)).HeartbeatAsync(new HeartbeatRequest(), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        // The TLS handshake fails: gRPC reports it as Unavailable or Internal depending on where it broke.
        Assert.Contains(refused.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
    }

    private static ReplyFrame[] Failed(string item, long round) =>
        [new ReplyFrame { Reply = new ReplyHeader { ItemId = item, Round = round, Failed = new FailedProto { Code = "x", Message = "y" } } }];

    private static async Task PushAsync(SiteGateway.SiteGatewayClient client, params ReplyFrame[] frames)
    {
        using AsyncClientStreamingCall<ReplyFrame, PushReplyAck> call = client.PushReply(cancellationToken: TestContext.Current.CancellationToken);
        foreach (ReplyFrame frame in frames)
        {
            await call.RequestStream.WriteAsync(frame, TestContext.Current.CancellationToken);
        }

        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;
    }
}
