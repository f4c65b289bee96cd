using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Pipeline;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.Tests.Sites.Pipeline;

/// <summary>Drafts and tasks for the stage tests: a logistic model over two features (three parameters).</summary>
internal static class Drafts
{
    public static readonly ParameterLayout Layout = new ModelSpec(ModelKind.Logistic, 2, []).CreateLayout();

    public static TrainTask Task(ClientDpRound? clientDp = null, SecureTrainingSession? session = null) =>
        new(new SiteId("a"), new RoundNumber(1), new ParameterVector(Layout), new LocalTrainingOptions { BatchSize = 4 }, SecureSession: session)
        {
            ClientDp = clientDp,
            Participants = 3,
        };

    public static UpdateDraft Of(TrainTask task, float[] delta, double weight = 10, double loss = 0.5) =>
        new(task, new ParameterVector(Layout, delta), weight, loss, steps: 5, examplesSeen: 20);

    public static SecureTrainingSession Session() => new(
        new SecAggSessionOptions { JobId = "job", RoundNumber = 1, Participants = ["a", "b", "c"], VectorLength = Layout.Length + 2, Threshold = 2, SecurityMode = SecAggSecurityMode.MaliciousServer },
        new FixedPointOptions { ClipRange = 100, MaxSummands = 3 },
        Participant: 1,
        ControlVariates: false);
}
