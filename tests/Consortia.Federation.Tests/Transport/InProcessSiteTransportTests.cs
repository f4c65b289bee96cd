using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Transport;

public sealed class InProcessSiteTransportTests : SiteTransportContractTests
{
    protected override ISiteTransport CreateTransport(IReadOnlyList<SiteAgent> agents) => new InProcessSiteTransport(agents, parallelism: 2);
}
