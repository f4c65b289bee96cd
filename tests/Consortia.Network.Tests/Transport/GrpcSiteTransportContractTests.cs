using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.TestKit;

namespace Consortia.Network.Tests.Transport;

/// <summary>The gRPC transport passes the same contract suite as the in-process one, over real mutual-TLS sockets.</summary>
[Trait("Category", "Slow")]
public sealed class GrpcSiteTransportContractTests : SiteTransportContractTests, IAsyncLifetime
{
    private readonly List<LoopbackFederation> _federations = [];

    protected override ISiteTransport CreateTransport(IReadOnlyList<SiteAgent> agents)
    {
        // Start synchronously on the thread pool: the suite's factory is synchronous.
        LoopbackFederation federation = Task.Run(() => LoopbackFederation.StartAsync([.. agents.Select(a => a.Site)])).GetAwaiter().GetResult();
        _federations.Add(federation);
        foreach (SiteAgent agent in agents)
        {
            federation.StartNode(new AgentHandler(agent));
        }

        return federation.Transport;
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (LoopbackFederation federation in _federations)
        {
            await federation.DisposeAsync();
        }
    }
}
