using Consortia.Governance.Policies;
using Consortia.Network.Configuration;
using Consortia.TestKit;
using YamlDotNet.RepresentationModel;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>
/// deploy/k8s/overlays/site-example as `kubectl kustomize` renders it: a node that enrolls itself once from a
/// token Secret, keeps its identity and state on a claim, reads its data read-only, listens on nothing but its
/// health port, and may only reach DNS and the coordinator.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SiteNodeManifestTests(RenderedOverlays overlays) : IClassFixture<RenderedOverlays>
{
    private const string StateMount = "/var/lib/consortia";
    private const string TokenFolder = "/var/run/secrets/consortia";

    private Rendered Site => overlays.SiteExample;

    private K8sObject Deployment => Site.Single("Deployment");

    private YamlNode Node => Deployment.Container("node");

    private YamlNode Enroll => Deployment.Container("enroll");

    [Fact]
    public void Deployment_RunsTheNodeCommandOnTheMountedSiteConfig()
    {
        Assert.Equal(["node", "run", "--config", "/etc/consortia/site.yaml"], Node.At("args").Items().Select(a => a.Text()));
        Assert.Null(Node.At("command"));
        Assert.Equal("1", Deployment.Root.At("spec", "replicas").Text());
        Assert.Equal("Recreate", Deployment.Root.At("spec", "strategy", "type").Text()); // one pod per identity, also during updates
    }

    [Fact]
    public void Deployment_EnrollmentToken_ComesFromTheRenderedSecret_AndOnlyTheEnrollInitContainerSeesIt()
    {
        YamlNode volume = Deployment.Volume("enrollment-token");
        string? secretName = volume.At("secret", "secretName").Text();
        Assert.NotNull(secretName);
        K8sObject secret = Site.Named("Secret", secretName);
        Assert.False(string.IsNullOrWhiteSpace(secret.Data("enrollment-token")));

        YamlNode? mount = PodChecks.Mount(Enroll, "enrollment-token");
        Assert.NotNull(mount);
        Assert.Equal(TokenFolder, mount.At("mountPath").Text());
        Assert.Equal("true", mount.At("readOnly").Text());
        Assert.Null(PodChecks.Mount(Node, "enrollment-token"));
        Assert.DoesNotContain(Node.At("env").Items(), e => e.At("valueFrom", "secretKeyRef") is not null);
        Assert.DoesNotContain(Node.At("envFrom").Items(), e => e.At("secretRef") is not null);

        string script = Assert.Single(Enroll.At("args").Items()).Text()!;
        Assert.Equal(["/bin/sh", "-c"], Enroll.At("command").Items().Select(c => c.Text()));
        Assert.Contains($"{TokenFolder}/enrollment-token", script, StringComparison.Ordinal);
        Assert.Contains("consortia node enroll --coordinator", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Deployment_IdentityAndState_LiveOnTheRenderedClaim_SharedByEnrollAndNode()
    {
        string? claim = Deployment.Volume("state").At("persistentVolumeClaim", "claimName").Text();
        Assert.NotNull(claim);
        K8sObject pvc = Site.Named("PersistentVolumeClaim", claim);
        Assert.Contains("ReadWriteOnce", pvc.Root.At("spec", "accessModes").Items().Select(m => m.Text()));
        foreach (YamlNode container in new[] { Enroll, Node })
        {
            YamlNode? mount = PodChecks.Mount(container, "state");
            Assert.Equal(StateMount, mount.At("mountPath").Text());
            Assert.NotEqual("true", mount.At("readOnly").Text());
        }
    }

    [Fact]
    public void Deployment_SiteData_IsMountedReadOnlyAtData()
    {
        YamlNode? mount = PodChecks.Mount(Node, "data");
        Assert.Equal("/data", mount.At("mountPath").Text());
        Assert.Equal("true", mount.At("readOnly").Text());
        Assert.Null(PodChecks.Mount(Enroll, "data"));
        YamlNode volume = Deployment.Volume("data");
        if (volume.At("persistentVolumeClaim") is { } pvc)
        {
            Assert.Equal("true", pvc.At("readOnly").Text());
            Site.Named("PersistentVolumeClaim", pvc.At("claimName").Text()!);
        }
    }

    [Fact]
    public void Deployment_ExposesNoPortButHealth9090_AndNoService()
    {
        YamlNode port = Assert.Single(Node.At("ports").Items());
        Assert.Equal("9090", port.At("containerPort").Text());
        Assert.Null(port.At("hostPort"));
        Assert.All(Deployment.InitContainers, c => Assert.Empty(c.At("ports").Items()));
        Assert.NotEqual("true", Deployment.PodSpec.At("hostNetwork").Text());
        Assert.Empty(Site.OfKind("Service")); // nothing routes to a site node
        Assert.Empty(Site.OfKind("Ingress"));
    }

    [Fact]
    public void Deployment_Probes_LivenessOnHealthzReadinessOnReadyzAtPort9090()
    {
        Assert.Equal("/healthz", Node.At("livenessProbe", "httpGet", "path").Text());
        Assert.Equal(9090, PodChecks.ResolvePort(Node, Node.At("livenessProbe", "httpGet", "port")));
        Assert.Equal("/readyz", Node.At("readinessProbe", "httpGet", "path").Text());
        Assert.Equal(9090, PodChecks.ResolvePort(Node, Node.At("readinessProbe", "httpGet", "port")));
    }

    [Fact]
    public async Task SiteYaml_LoadsWithTheNodesOwnLoader_AndPointsAtTheMountedVolumes()
    {
        // The ConfigMap behind /etc/consortia/site.yaml, read by the same NodeConfig.Load that `node run` uses.
        string siteYaml = ProjectedFile("site.yaml", out _);
        using TempDirectory temp = new();
        await File.WriteAllTextAsync(temp.File("site.yaml"), siteYaml, TestContext.Current.CancellationToken);
        NodeConfig config = NodeConfig.Load(temp.File("site.yaml"));

        Assert.Equal($"{StateMount}/identity", config.Identity); // where the enroll init container writes
        Assert.StartsWith(StateMount + "/", config.State, StringComparison.Ordinal);
        Assert.Equal("/etc/consortia/policy.yaml", config.Policy);
        Assert.StartsWith("/data/", config.Data.Path + "/", StringComparison.Ordinal);
        Assert.Equal("0.0.0.0:9090", config.Health); // what the probes and the NetworkPolicy's ingress rule use

        // The node dials the sites port; the init container enrolls on the enrollment port of the same host.
        Uri sites = new(config.Coordinator);
        Uri enrollment = new(EnrollmentUrl());
        Assert.Equal(7443, sites.Port);
        Assert.Equal(7444, enrollment.Port);
        Assert.Equal("https", enrollment.Scheme);
        Assert.Equal(sites.Host, enrollment.Host);
    }

    [Fact]
    public void PolicyYaml_ParsesWithTheSitePolicyLoader()
    {
        string policy = ProjectedFile("policy.yaml", out _);
        SitePolicy parsed = SitePolicyLoader.Parse(policy, "policy.yaml");
        Assert.NotEmpty(parsed.Consortia);
    }

    [Fact]
    public void NetworkPolicy_SelectsTheNode_AndDeniesIngressButMetrics()
    {
        K8sObject policy = Site.Single("NetworkPolicy");
        Assert.True(PodChecks.Selects(policy.Root.At("spec", "podSelector", "matchLabels").Pairs(), Deployment.PodLabels), $"{policy} does not select the node's pods");
        Assert.NotEmpty(policy.Root.At("spec", "podSelector", "matchLabels").Pairs());
        Assert.Equal(["Ingress", "Egress"], policy.Root.At("spec", "policyTypes").Items().Select(t => t.Text()));
        foreach (YamlNode rule in policy.Root.At("spec", "ingress").Items())
        {
            Assert.Equal(["9090"], rule.At("ports").Items().Select(p => p.At("port").Text()));
        }
    }

    [Fact]
    public void NetworkPolicy_Egress_OnlyDnsAndTheCoordinatorsSitesAndEnrollmentPorts()
    {
        K8sObject policy = Site.Single("NetworkPolicy");
        IReadOnlyList<YamlNode> rules = policy.Root.At("spec", "egress").Items();
        Assert.NotEmpty(rules);
        HashSet<string> allowed = [];
        foreach (YamlNode rule in rules)
        {
            IReadOnlyList<YamlNode> ports = rule.At("ports").Items();
            Assert.True(ports.Count > 0, "an egress rule without ports allows every port");
            string[] numbers = [.. ports.Select(p => $"{p.At("port").Text()}/{p.At("protocol").Text() ?? "TCP"}")];
            allowed.UnionWith(numbers);
            if (numbers.Any(n => n.StartsWith("744", StringComparison.Ordinal)))
            {
                // The coordinator rule names its destination, and that destination is not selected by the
                // site's own labels (which the overlay adds to every podSelector of the site).
                IReadOnlyList<YamlNode> to = rule.At("to").Items();
                Assert.NotEmpty(to);
                Assert.All(to, peer => Assert.False(
                    peer.At("podSelector", "matchLabels").Pairs().ContainsKey("app.kubernetes.io/instance"),
                    "the coordinator's selector carries the site's instance label"));
            }
        }

        Assert.Equal(["53/TCP", "53/UDP", "7443/TCP", "7444/TCP"], allowed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Overlay_TokenPlaceholder_IsNoToken()
    {
        // The example carries a placeholder, never a real token; the enroll script refuses it
        // (EnrollScriptTests runs it).
        K8sObject secret = Site.Single("Secret");
        Assert.StartsWith("PASTE-", secret.Data("enrollment-token"), StringComparison.Ordinal);
    }

    private string ProjectedFile(string path, out K8sObject configMap)
    {
        Assert.Equal("/etc/consortia", PodChecks.Mount(Node, "config").At("mountPath").Text());
        foreach (YamlNode source in Deployment.Volume("config").At("projected", "sources").Items())
        {
            YamlNode? item = source.At("configMap", "items").Items().SingleOrDefault(i => i.At("path").Text() == path);
            if (item is not null)
            {
                configMap = Site.Named("ConfigMap", source.At("configMap", "name").Text()!);
                return configMap.Data(item.At("key").Text()!);
            }
        }

        throw new Xunit.Sdk.XunitException($"nothing projects {path} into /etc/consortia");
    }

    private string EnrollmentUrl()
    {
        YamlNode env = Enroll.At("env").Items().Single(e => e.At("name").Text() == "CONSORTIA_ENROLLMENT_URL");
        YamlNode reference = env.At("valueFrom", "configMapKeyRef")!;
        return Site.Named("ConfigMap", reference.At("name").Text()!).Data(reference.At("key").Text()!);
    }
}
