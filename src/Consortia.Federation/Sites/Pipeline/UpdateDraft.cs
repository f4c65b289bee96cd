using System.Numerics.Tensors;
using Consortia.Learning;
using Consortia.SecureAggregation.Protocol;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>One round's update on its way out of the site: local training fills it, the pipeline's stages transform it.</summary>
/// <remarks>
/// It ends in one of two forms: a plain update (<see cref="ToUpdate"/>), or, with secure aggregation, a
/// <see cref="Masked"/> session that holds the update and releases it only masked.
/// </remarks>
internal sealed class UpdateDraft
{
    /// <summary>Creates the draft of a trained round.</summary>
    /// <param name="task">The training task the update answers.</param>
    /// <param name="delta">local − global (unweighted); the stages change it in place.</param>
    /// <param name="weight">The aggregation weight (the number of local training examples).</param>
    /// <param name="trainLoss">The mean local training loss.</param>
    /// <param name="steps">Local optimizer steps taken.</param>
    /// <param name="examplesSeen">Training examples read (for the ledger).</param>
    /// <param name="controlDelta">SCAFFOLD: cᵢ⁺ − cᵢ, or <see langword="null"/>.</param>
    public UpdateDraft(TrainTask task, ParameterVector delta, double weight, double trainLoss, int steps, long examplesSeen, ParameterVector? controlDelta = null)
    {
        Task = task;
        Delta = delta;
        Weight = weight;
        TrainLoss = trainLoss;
        Steps = steps;
        ExamplesSeen = examplesSeen;
        ControlDelta = controlDelta;
    }

    public TrainTask Task { get; private set; }

    /// <summary>The update's values: local − global, clipped and weighted as the stages go.</summary>
    public ParameterVector Delta { get; }

    public double Weight { get; set; }

    /// <summary>The mean training loss; NaN when it must stay at the site (client-level DP).</summary>
    public double TrainLoss { get; set; }

    public int Steps { get; }

    public long ExamplesSeen { get; }

    public ParameterVector? ControlDelta { get; }

    /// <summary>Adaptive clipping: b − ½, b = 1 when the update was not clipped.</summary>
    public double? UnclippedBit { get; set; }

    /// <summary>Distributed DP: the site's rotated, rounded and noised integer vector in the secure layout, until quantised into the ring.</summary>
    public long[]? RingIntegers { get; set; }

    /// <summary>The fixed-point encoding of the update, once quantised and until masked.</summary>
    public uint[]? Encoded { get; set; }

    /// <summary>The secure aggregation session holding the update, once masked.</summary>
    public SecAggClient? Masked { get; set; }

    /// <summary>
    /// FedBuff under secure aggregation: the held update joins its flush's session, scaled by its staleness weight (only the
    /// update; its data weight and loss stay, as the coordinator's plain staleness weighting does). The quantise and mask
    /// stages then run for that session and round.
    /// </summary>
    /// <param name="flush">The flush task.</param>
    public void JoinSession(SecureFlushTask flush)
    {
        Task = Task with { Round = flush.Round, SecureSession = flush.Session, Participants = flush.Session.Session.ParticipantCount, HoldForSecureAggregation = false };
        TensorPrimitives.Multiply(Delta.Values, flush.StalenessScale, Delta.Values);
    }

    /// <summary>The update as it is sent in the clear (or encoded for secure aggregation).</summary>
    /// <param name="site">The sending site.</param>
    /// <returns>The update.</returns>
    public SiteUpdate ToUpdate(SiteId site) => new(site, Delta, Weight, TrainLoss, Steps, ControlDelta) { UnclippedBit = UnclippedBit };
}
