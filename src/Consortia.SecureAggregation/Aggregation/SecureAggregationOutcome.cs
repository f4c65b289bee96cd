using Consortia.SecureAggregation.Protocol;

namespace Consortia.SecureAggregation.Aggregation;

/// <summary>The result of one secure-aggregation session: the sum, or why there is none. A closed hierarchy.</summary>
public abstract record SecureAggregationOutcome
{
    private SecureAggregationOutcome()
    {
    }

    /// <summary>The client messages the server discarded during the session, with their reasons, for the caller to log.</summary>
    /// <value>Default empty.</value>
    public IReadOnlyList<SecAggRejection> Rejections { get; init; } = [];

    /// <summary>The session produced the sum of the survivors' inputs.</summary>
    /// <param name="Result">The sum and its contributors.</param>
    public sealed record Succeeded(SecureSum Result) : SecureAggregationOutcome;

    /// <summary>The session ended without output (e.g. too many dropouts); nothing was unmasked.</summary>
    /// <param name="Failure">Why.</param>
    public sealed record Failed(SecAggFailure Failure) : SecureAggregationOutcome;
}
