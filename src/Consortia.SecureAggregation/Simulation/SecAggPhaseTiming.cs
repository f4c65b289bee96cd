using Consortia.SecureAggregation.Protocol;

namespace Consortia.SecureAggregation.Simulation;

/// <summary>Measured cost of one stage of a simulated round.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="ActiveClients">How many participants handled the stage's message.</param>
/// <param name="MeanClientTime">Mean time a participant spent handling its message.</param>
/// <param name="MaxClientTime">The slowest participant's time.</param>
/// <param name="ServerTime">Server time: accepting the stage's replies and closing the stage.</param>
/// <param name="MeanClientBytesSent">Mean bytes sent by an active participant in this stage.</param>
public sealed record SecAggPhaseTiming(
    SecAggStage Stage,
    int ActiveClients,
    TimeSpan MeanClientTime,
    TimeSpan MaxClientTime,
    TimeSpan ServerTime,
    double MeanClientBytesSent);
