using Consortia.SecureAggregation.Protocol.Messages;

namespace Consortia.SecureAggregation.Protocol;

/// <summary>What a <see cref="SecAggServer"/> produced when a stage opened or closed: a closed hierarchy.</summary>
public abstract record ServerStep
{
    private ServerStep()
    {
    }

    /// <summary>The next stage opened; deliver <paramref name="Messages"/> (one per recipient).</summary>
    /// <param name="Stage">The stage now collecting replies.</param>
    /// <param name="Messages">The messages to deliver.</param>
    public sealed record Send(SecAggStage Stage, IReadOnlyList<SecAggServerMessage> Messages) : ServerStep;

    /// <summary>The session ended without output.</summary>
    /// <param name="Failure">Why.</param>
    public sealed record Failed(SecAggFailure Failure) : ServerStep;

    /// <summary>The session ended with the sum.</summary>
    /// <param name="Result">The sum and its contributors.</param>
    public sealed record Completed(SecureSum Result) : ServerStep;
}
