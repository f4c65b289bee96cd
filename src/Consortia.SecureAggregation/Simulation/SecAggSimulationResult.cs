using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Protocol;

namespace Consortia.SecureAggregation.Simulation;

/// <summary>The outcome and measurements of one simulated round.</summary>
/// <param name="Outcome">The sum (or failure), exactly as the coordinator would get it.</param>
/// <param name="Phases">Per-stage timings, in stage order.</param>
/// <param name="ClientAborts">Participants that aborted, with their reasons.</param>
/// <param name="MeanClientBytesSent">Mean bytes sent over the round by a participant that answered every stage it was asked (payload-level estimate of a compact binary encoding).</param>
/// <param name="MeanClientBytesReceived">Mean bytes received over the round by the same participants.</param>
/// <param name="CriticalPath">Σ over stages of (slowest participant + server): the round's latency with sites running in parallel and a free network.</param>
public sealed record SecAggSimulationResult(
    SecureAggregationOutcome Outcome,
    IReadOnlyList<SecAggPhaseTiming> Phases,
    IReadOnlyList<SecAggRejection> ClientAborts,
    double MeanClientBytesSent,
    double MeanClientBytesReceived,
    TimeSpan CriticalPath)
{
    /// <summary>Mean per-participant time over the whole round (sum of the per-stage means).</summary>
    public TimeSpan MeanClientTime => Phases.Aggregate(TimeSpan.Zero, (total, phase) => total + phase.MeanClientTime);

    /// <summary>Total server time over the round.</summary>
    public TimeSpan ServerTime => Phases.Aggregate(TimeSpan.Zero, (total, phase) => total + phase.ServerTime);
}
