using Consortia.SecureAggregation.Protocol.Messages;

namespace Consortia.SecureAggregation.Protocol;

/// <summary>What a <see cref="SecAggClient"/> did with a server message: a closed hierarchy.</summary>
public abstract record ClientStep
{
    private ClientStep()
    {
    }

    /// <summary>The message was accepted; send <paramref name="Message"/> to the server.</summary>
    /// <param name="Message">The reply.</param>
    public sealed record Reply(SecAggClientMessage Message) : ClientStep;

    /// <summary>The message was ignored (another session or recipient); the session continues unchanged.</summary>
    /// <param name="Rejection">Why.</param>
    public sealed record Rejected(SecAggRejection Rejection) : ClientStep;

    /// <summary>The client refused to continue; its secrets are erased and it will answer nothing more.</summary>
    /// <param name="Rejection">Why.</param>
    public sealed record Aborted(SecAggRejection Rejection) : ClientStep;
}
