namespace Consortia.Federation.Benchmarking;

/// <summary>Test accuracy of one DP mode at one ε, averaged over centers and seeds.</summary>
/// <param name="Mode"><c>sample-level</c> or <c>client-level</c>.</param>
/// <param name="Epsilon">The job's ε; <see langword="null"/> for the job without DP.</param>
/// <param name="Accuracy">Mean over seeds of the final mean test accuracy over centers.</param>
public sealed record DpUtilityRow(string Mode, double? Epsilon, double Accuracy);
