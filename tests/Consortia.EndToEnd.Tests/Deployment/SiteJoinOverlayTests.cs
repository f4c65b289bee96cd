using Consortia.Governance.Agreements;
using Consortia.Network.Configuration;
using Consortia.TestKit;
using YamlDotNet.RepresentationModel;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>
/// deploy/k8s/overlays/site-join-example as `kubectl kustomize` renders it: joining a consortium is one overlay with the
/// token and the agreement: the node's site.yaml lists the consortium with the agreement at the path where the overlay
/// mounts it, the agreement is a valid one, and only the enroll container sees the token.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SiteJoinOverlayTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task JoinOverlay_MountsTheAgreementWhereSiteYamlNamesIt_AndTheTokenForTheEnrollContainerOnly()
    {
        Rendered join = await Kubectl.KustomizeAsync(RenderedOverlays.Overlay("site-join-example"), TestContext.Current.CancellationToken);
        K8sObject deployment = join.Single("Deployment");

        // site.yaml: the consortium, its policy and its agreement, as the node reads them.
        K8sObject siteConfig = join.OfKind("ConfigMap").Single(c => c.Root.At("data", "site.yaml") is not null);
        string siteYaml = _dir.File("site.yaml");
        await File.WriteAllTextAsync(siteYaml, siteConfig.Data("site.yaml"), TestContext.Current.CancellationToken);
        NodeConfig config = NodeConfig.Load(siteYaml);
        NodeMembership heart = Assert.Single(config.Memberships());
        Assert.Equal("heart-consortium", heart.Consortium);
        Assert.Equal("/etc/consortia/agreement/agreement.yaml", heart.Agreement!.File);
        Assert.Equal("/etc/consortia/agreement/agreement.signatures.json", heart.Agreement.Signatures);
        Assert.False(string.IsNullOrEmpty(siteConfig.Data("enrollment-url"))); // merged into the site overlay's, not replacing it

        // The agreement ConfigMap is mounted at that folder, read-only, in the node container.
        string agreementMap = deployment.Volume("agreement").At("configMap", "name").Text()!;
        K8sObject agreement = join.Named("ConfigMap", agreementMap);
        Assert.Equal("heart-consortium", AgreementLoader.Parse(agreement.Data("agreement.yaml"), "agreement.yaml").Name);
        Assert.Empty(AgreementSignatures.Parse(agreement.Data("agreement.signatures.json"), "agreement.signatures.json"));
        YamlNode mount = PodChecks.Mount(deployment.Container("node"), "agreement")!;
        Assert.Equal("/etc/consortia/agreement", mount.At("mountPath").Text());
        Assert.Equal("true", mount.At("readOnly").Text());

        // The invitation: this overlay's token, seen by the enroll container only.
        K8sObject secret = join.Named("Secret", deployment.Volume("enrollment-token").At("secret", "secretName").Text()!);
        Assert.Equal("PASTE-THE-ENROLLMENT-TOKEN-HERE", secret.Data("enrollment-token"));
        Assert.NotNull(PodChecks.Mount(deployment.Container("enroll"), "enrollment-token"));
        Assert.Null(PodChecks.Mount(deployment.Container("node"), "enrollment-token"));
    }
}
