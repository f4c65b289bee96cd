using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Learning.Training;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Consortia.SecureAggregation.Protocol;
using Google.Protobuf;

namespace Consortia.Network.Tests.Transport;

/// <summary>
/// Group reweighting on the wire: the counting task (with its secure-aggregation session) and the summed counts of a
/// training task arrive at the site as sent; the sum's values, negative ones included, reach the site's own checks,
/// and a sum too long to be any attribute's is rejected where the node decodes it, naming the field.
/// </summary>
public sealed class ReweightingWireTests
{
    private static readonly SiteId s_site = new("b");

    /// <summary>Encodes, serialises and decodes <paramref name="task"/> as the node does.</summary>
    private static SiteTask RoundTrip(SiteTask task, Action<TaskHeader>? tamper = null)
    {
        WireItem<TaskHeader> item = WireCodec.Encode(task, "item-1", "job-1");
        tamper?.Invoke(item.Header);
        TaskHeader parsed = TaskHeader.Parser.ParseFrom(item.Header.ToByteArray());
        PayloadAssembler payload = new(parsed.ItemId, WireCodec.Vectors(parsed), parsed.PayloadBytes);
        foreach (Chunk chunk in VectorPayload.Chunks(parsed.ItemId, item.Payload))
        {
            payload.Add(chunk);
        }

        return WireCodec.Decode(parsed, payload, s_site);
    }

    [Fact]
    public void CountingTask_WithItsSession_ArrivesAsSent()
    {
        SecAggSessionOptions session = new()
        {
            JobId = ReweightingCountTask.SessionJobId("job-1"),
            RoundNumber = 0,
            Participants = ["a", "b", "c"],
            VectorLength = 4,
            Threshold = 2,
            SecurityMode = SecAggSecurityMode.MaliciousServer,
        };
        ReweightingCountTask sent = new(s_site, new RoundNumber(0)) { SecureSession = session, Participant = 2, JobSha256 = new string('a', 64) };

        ReweightingCountTask received = Assert.IsType<ReweightingCountTask>(RoundTrip(sent));

        Assert.Equal((0, 2, sent.JobSha256), (received.Round.Value, received.Participant, received.JobSha256));
        Assert.Equal((session.JobId, session.VectorLength, session.SecurityMode), (received.SecureSession!.JobId, received.SecureSession.VectorLength, received.SecureSession.SecurityMode));
        Assert.Equal(session.Participants, received.SecureSession.Participants);
        Assert.Null(Assert.IsType<ReweightingCountTask>(RoundTrip(sent with { SecureSession = null, Participant = 0 })).SecureSession);
    }

    [Fact]
    public void CountingTask_NamingAParticipantOutsideItsSession_IsRejectedNamingTheField()
    {
        SecAggSessionOptions session = new() { JobId = "fairness-reweighting/job-1", RoundNumber = 0, Participants = ["a", "b", "c"], VectorLength = 4, Threshold = 2 };
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => RoundTrip(new ReweightingCountTask(s_site, new RoundNumber(0)) { SecureSession = session, Participant = 4 }));
        Assert.Contains("reweighting_count.secure_session.participant", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainingTask_CarriesTheSummedCounts_AsSent_NegativeOnesIncluded_ForTheSiteToCheck()
    {
        TrainTask train = new(s_site, new RoundNumber(1), new ParameterVector(ParameterLayout.Create(("w", [3]))), new LocalTrainingOptions { BatchSize = 4, LocalSteps = 1 });

        Assert.Null(Assert.IsType<TrainTask>(RoundTrip(train)).ReweightingCounts);
        Assert.Equal([40, 20, -60, 50], Assert.IsType<TrainTask>(RoundTrip(train with { ReweightingCounts = [40, 20, -60, 50] })).ReweightingCounts!);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => RoundTrip(train, h => h.Train.ReweightingCounts.AddRange(new long[FairnessWire.MaxReweightingCells + 1])));
        Assert.Contains("train.reweighting_counts", error.Message, StringComparison.Ordinal);
    }
}
