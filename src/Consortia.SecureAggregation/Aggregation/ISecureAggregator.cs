using Consortia.SecureAggregation.Protocol;

namespace Consortia.SecureAggregation.Aggregation;

/// <summary>
/// The federation engine's view of secure aggregation: run a session over a channel and get back only the
/// sum of the participating sites' vectors (or a typed failure). No member returns an individual vector.
/// </summary>
public interface ISecureAggregator
{
    /// <summary>Runs one session to its end.</summary>
    /// <param name="options">The session options, also sent to every participant.</param>
    /// <param name="channel">The transport for the session's stages.</param>
    /// <param name="cancellationToken">Cancels the session (no output).</param>
    /// <returns>The sum of the survivors' inputs, or why there is none, with the rejected messages.</returns>
    public ValueTask<SecureAggregationOutcome> AggregateAsync(SecAggSessionOptions options, ISecAggServerChannel channel, CancellationToken cancellationToken = default);
}
