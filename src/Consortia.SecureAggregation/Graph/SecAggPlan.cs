namespace Consortia.SecureAggregation.Graph;

/// <summary>The graph degree and threshold chosen by <see cref="SecAggPlanner"/>.</summary>
/// <param name="Participants">n.</param>
/// <param name="Neighbours">The smallest feasible degree k; n − 1 when the complete graph is needed.</param>
/// <param name="MinThreshold">t_min: the smallest threshold meeting the security conditions.</param>
/// <param name="MaxThreshold">t_max: the largest threshold meeting the correctness condition.</param>
/// <param name="CompleteGraph">Whether the plan is classic SecAgg (every participant neighbours every other).</param>
/// <param name="Threshold">The recommended t: t_max in malicious-server mode, ⌈(t_min + t_max)/2⌉ otherwise.</param>
public sealed record SecAggPlan(int Participants, int Neighbours, int MinThreshold, int MaxThreshold, bool CompleteGraph, int Threshold)
{
    /// <summary>The value for <see cref="Protocol.SecAggSessionOptions.Neighbours"/>: <see langword="null"/> for the complete graph.</summary>
    public int? GraphDegree => CompleteGraph ? null : Neighbours;
}
