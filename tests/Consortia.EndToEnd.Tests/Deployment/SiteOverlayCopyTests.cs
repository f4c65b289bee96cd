using Consortia.TestKit;
using YamlDotNet.RepresentationModel;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>
/// A second hospital joins the way docs/deployment.md says: copy overlays/site-example, replace the site's
/// name, apply. Its objects must not collide with the first site's or the coordinator's in a shared cluster,
/// and the optional patch for a coordinator outside the cluster must leave only DNS and the coordinator's
/// address reachable.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SiteOverlayCopyTests(RenderedOverlays overlays) : IClassFixture<RenderedOverlays>
{
    [Fact]
    public async Task CopiedOverlay_WithAnotherSiteName_SharesNoObjectOrSelectorWithTheFirstSite()
    {
        using TempDirectory temp = new();
        Rendered second = await Kubectl.KustomizeAsync(CopyExample(temp, "hungarian", remoteCoordinator: false), TestContext.Current.CancellationToken);
        Rendered first = overlays.SiteExample;

        // No two objects with the same kind, namespace and name across the first site, the second and the coordinator.
        var clashes = first.Objects.Concat(second.Objects).Concat(overlays.Coordinator.Objects)
            .GroupBy(o => (o.Kind, o.Namespace, o.Name))
            .Where(g => g.Count() > 1)
            .Select(g => g.Key)
            .ToList();
        Assert.Empty(clashes);

        // The sites' names differ even apart from the namespace (namePrefix), for `kubectl get -A` and for a
        // demo that puts both sites in one namespace.
        Assert.Empty(first.Objects.Where(o => o.Kind != "Namespace").Select(o => (o.Kind, o.Name))
            .Intersect(second.Objects.Where(o => o.Kind != "Namespace").Select(o => (o.Kind, o.Name))));

        // Neither site's Deployment or NetworkPolicy selects the other site's pods.
        K8sObject firstNode = first.Single("Deployment");
        K8sObject secondNode = second.Single("Deployment");
        foreach ((Rendered site, K8sObject other) in new[] { (first, secondNode), (second, firstNode) })
        {
            K8sObject own = site.Single("Deployment");
            Assert.False(PodChecks.Selects(own.Root.At("spec", "selector", "matchLabels").Pairs(), other.PodLabels), $"{own} selects the pods of {other}");
            Assert.False(PodChecks.Selects(site.Single("NetworkPolicy").Root.At("spec", "podSelector", "matchLabels").Pairs(), other.PodLabels), $"{site.Single("NetworkPolicy")} applies to the pods of {other}");
        }

        // The copy's node runs as the new site.
        YamlNode config = YamlNav.ParseDocument(second.OfKind("ConfigMap").Single(c => c.Root.At("data", "site.yaml") is not null).Data("site.yaml"));
        Assert.Equal("hungarian", config.At("site").Text());
        Assert.Equal("hungarian", config.At("data", "site").Text());
    }

    [Fact]
    public async Task RemoteCoordinatorPatch_AllowsOnlyTheCoordinatorsAddressOn7443And7444()
    {
        using TempDirectory temp = new();
        Rendered site = await Kubectl.KustomizeAsync(CopyExample(temp, "va", remoteCoordinator: true), TestContext.Current.CancellationToken);
        IReadOnlyList<YamlNode> rules = site.Single("NetworkPolicy").Root.At("spec", "egress").Items();
        Assert.Equal(2, rules.Count);
        YamlNode coordinator = rules.Single(r => r.At("ports").Items().Any(p => p.At("port").Text() == "7443"));
        Assert.Equal(["7443", "7444"], coordinator.At("ports").Items().Select(p => p.At("port").Text()));
        YamlNode peer = Assert.Single(coordinator.At("to").Items());
        string? cidr = peer.At("ipBlock", "cidr").Text();
        Assert.NotNull(cidr);
        Assert.EndsWith("/32", cidr, StringComparison.Ordinal);
        Assert.False(peer.Has("namespaceSelector"));
        YamlNode dns = rules.Single(r => r != coordinator);
        Assert.All(dns.At("ports").Items(), p => Assert.Equal("53", p.At("port").Text()));
    }

    /// <summary>Copies overlays/site-example as a hospital would, replacing the example's site name everywhere.</summary>
    private static string CopyExample(TempDirectory temp, string site, bool remoteCoordinator)
    {
        string example = RenderedOverlays.Overlay("site-example");
        string copy = Path.Combine(temp.Path, "site-" + site);
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(example))
        {
            string text = File.ReadAllText(file).Replace("cleveland", site, StringComparison.Ordinal);
            if (Path.GetFileName(file) == "kustomization.yaml")
            {
                // The copy lives outside the repository here: point it at the base by a relative path
                // (kustomize refuses absolute ones), as ../../base/site-node does in place.
                Assert.Contains("../../base/site-node", text, StringComparison.Ordinal);
                text = text.Replace("../../base/site-node", Path.GetRelativePath(copy, Path.Combine(RenderedOverlays.K8sRoot, "base", "site-node")), StringComparison.Ordinal);
                if (remoteCoordinator)
                {
                    // Uncomment the `# patches:` block at the end, as its comment says.
                    int start = text.IndexOf("# patches:", StringComparison.Ordinal);
                    Assert.True(start >= 0, "site-example/kustomization.yaml lost its commented `# patches:` block");
                    text = text[..start] + string.Join('\n', text[start..].Split('\n').Select(line => line.StartsWith('#') ? line[2..] : line));
                    Assert.Contains("\npatches:\n  - path: remote-coordinator-egress.yaml", text, StringComparison.Ordinal);
                }
            }

            File.WriteAllText(Path.Combine(copy, Path.GetFileName(file)), text);
        }

        File.WriteAllText(Path.Combine(copy, "enrollment-token"), "a-token-for-" + site);
        return copy;
    }
}
