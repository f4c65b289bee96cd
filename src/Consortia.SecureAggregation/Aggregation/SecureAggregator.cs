using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Signing;

namespace Consortia.SecureAggregation.Aggregation;

/// <summary>
/// Drives a <see cref="SecAggServer"/> over an <see cref="ISecAggServerChannel"/>: each stage's messages out,
/// replies in until the channel's deadline or until everyone answered, then the next stage.
/// </summary>
/// <remarks>Stateless between sessions and safe to share; each call owns its own server state machine.</remarks>
public sealed class SecureAggregator : ISecureAggregator
{
    private readonly ISignatureVerifier? _verifier;

    /// <summary>Creates an aggregator.</summary>
    /// <param name="verifier">Verifier of the sites' identity signatures; required for malicious-server sessions.</param>
    public SecureAggregator(ISignatureVerifier? verifier = null) => _verifier = verifier;

    /// <inheritdoc />
    public async ValueTask<SecureAggregationOutcome> AggregateAsync(SecAggSessionOptions options, ISecAggServerChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(channel);
        using SecAggServer server = new(options, _verifier);
        List<SecAggRejection> rejections = [];
        ServerStep step = server.Start();
        while (step is ServerStep.Send send)
        {
            await foreach (SecAggClientMessage reply in channel.ExchangeAsync(send.Stage, send.Messages, cancellationToken).WithCancellation(cancellationToken))
            {
                if (!server.TryAccept(reply, out SecAggRejection? rejection))
                {
                    rejections.Add(rejection);
                }

                if (server.IsStageComplete)
                {
                    break;
                }
            }

            step = server.Advance();
        }

        return step switch
        {
            ServerStep.Completed completed => new SecureAggregationOutcome.Succeeded(completed.Result) { Rejections = rejections },
            ServerStep.Failed failed => new SecureAggregationOutcome.Failed(failed.Failure) { Rejections = rejections },
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }
}
