using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>
/// deploy/k8s/overlays/coordinator as `kubectl kustomize` renders it: one writer on a persistent home, the
/// sites' ports exposed, the admin API internal only, health probes on the plain-HTTP port.
/// </summary>
[Trait("Category", "Slow")]
public sealed class CoordinatorManifestTests(RenderedOverlays overlays) : IClassFixture<RenderedOverlays>
{
    private const string Home = "/var/lib/consortia";

    private Rendered Coordinator => overlays.Coordinator;

    private K8sObject Deployment => Coordinator.Single("Deployment");

    private YamlNode MainContainer => Deployment.Container("coordinator");

    [Fact]
    public void Deployment_OneReplica_RecreatedNotRolled()
    {
        // SQLite has one writer: a rolling update would run two coordinators on one home.
        Assert.Equal("1", Deployment.Root.At("spec", "replicas").Text());
        Assert.Equal("Recreate", Deployment.Root.At("spec", "strategy", "type").Text());
    }

    [Fact]
    public void Deployment_HomeVolume_IsTheRenderedClaimMountedAtVarLibConsortia()
    {
        YamlNode? mount = PodChecks.Mount(MainContainer, "home");
        Assert.NotNull(mount);
        Assert.Equal(Home, mount.At("mountPath").Text());
        Assert.NotEqual("true", mount.At("readOnly").Text());

        string? claim = Deployment.Volume("home").At("persistentVolumeClaim", "claimName").Text();
        Assert.NotNull(claim);
        K8sObject pvc = Coordinator.Named("PersistentVolumeClaim", claim);
        Assert.Contains("ReadWriteOnce", pvc.Root.At("spec", "accessModes").Items().Select(m => m.Text()));
        Assert.NotNull(pvc.Root.At("spec", "resources", "requests", "storage").Text());

        // The init container that waits for the home sees the same volume at the same place.
        Assert.Equal(Home, PodChecks.Mount(Deployment.Container("await-home"), "home").At("mountPath").Text());
    }

    [Fact]
    public void Deployment_Container_RunsTheCoordinatorCommandOnTheMountedConfig()
    {
        Assert.Equal(["coordinator", "--config", "/etc/consortia/coordinator.yaml"], MainContainer.At("args").Items().Select(a => a.Text()));
        Assert.Null(MainContainer.At("command")); // the image's entrypoint (consortia) runs

        YamlNode? mount = PodChecks.Mount(MainContainer, "config");
        Assert.Equal("/etc/consortia", mount.At("mountPath").Text());
        string? configMap = Deployment.Volume("config").At("configMap", "name").Text();
        Assert.NotNull(configMap);
        string yaml = Coordinator.Named("ConfigMap", configMap).Data("coordinator.yaml");

        YamlNode config = YamlNav.ParseDocument(yaml);
        Assert.Equal(Home, config.At("home").Text());
        Assert.Equal("0.0.0.0:7443", config.At("listen", "sites").Text());
        Assert.Equal("0.0.0.0:7444", config.At("listen", "enrollment").Text());
        Assert.Equal("0.0.0.0:7445", config.At("listen", "admin").Text()); // reachable by the ClusterIP admin Service
        Assert.Equal("0.0.0.0:9090", config.At("listen", "health").Text());

        // Admin commands run with `kubectl exec` find the home without --home.
        YamlNode env = MainContainer.At("env").Items().Single(e => e.At("name").Text() == "CONSORTIA_HOME");
        Assert.Equal(Home, env.At("value").Text());
    }

    [Fact]
    public void Deployment_Ports_AreTheFourOfTheCoordinator()
    {
        Dictionary<string, int> ports = MainContainer.At("ports").Items().ToDictionary(
            p => p.At("name").Text()!, p => int.Parse(p.At("containerPort").Text()!, CultureInfo.InvariantCulture));
        Assert.Equal(new Dictionary<string, int> { ["sites"] = 7443, ["enrollment"] = 7444, ["admin"] = 7445, ["health"] = 9090 }, ports);
        Assert.All(Deployment.AllContainers, c => Assert.All(c.At("ports").Items(), p => Assert.Null(p.At("hostPort"))));
        Assert.NotEqual("true", Deployment.PodSpec.At("hostNetwork").Text());
    }

    [Fact]
    public void Deployment_Probes_LivenessOnHealthzReadinessOnReadyzAtPort9090()
    {
        YamlNode liveness = MainContainer.At("livenessProbe", "httpGet")!;
        YamlNode readiness = MainContainer.At("readinessProbe", "httpGet")!;
        Assert.Equal("/healthz", liveness.At("path").Text());
        Assert.Equal(9090, PodChecks.ResolvePort(MainContainer, liveness.At("port")));
        Assert.Equal("/readyz", readiness.At("path").Text());
        Assert.Equal(9090, PodChecks.ResolvePort(MainContainer, readiness.At("port")));
    }

    [Fact]
    public void SitesService_Exposes7443And7444ToTheCoordinatorPods_NotTheAdminPort()
    {
        K8sObject service = Coordinator.OfKind("Service").Single(s => Ports(s).Contains(7443));
        Assert.Equal([7443, 7444], Ports(service).Order());
        Assert.True(PodChecks.Selects(service.Root.At("spec", "selector").Pairs(), Deployment.PodLabels), $"{service} does not select the coordinator's pods");
        Assert.NotEmpty(service.Root.At("spec", "selector").Pairs());
        foreach (YamlNode port in service.Root.At("spec", "ports").Items())
        {
            Assert.Equal(int.Parse(port.At("port").Text()!, CultureInfo.InvariantCulture), PodChecks.ResolvePort(MainContainer, port.At("targetPort")));
        }
    }

    [Fact]
    public void AdminService_IsClusterIpOnly_AndNoOtherServiceCarries7445()
    {
        K8sObject[] admin = [.. Coordinator.OfKind("Service").Where(s => Ports(s).Contains(7445))];
        K8sObject service = Assert.Single(admin);
        Assert.Equal([7445], Ports(service));
        Assert.Equal("ClusterIP", service.Root.At("spec", "type").Text() ?? "ClusterIP");
        Assert.Null(service.Root.At("spec", "externalIPs"));
        Assert.True(PodChecks.Selects(service.Root.At("spec", "selector").Pairs(), Deployment.PodLabels), $"{service} does not select the coordinator's pods");
        Assert.NotEqual(Coordinator.OfKind("Service").Single(s => Ports(s).Contains(7443)).Name, service.Name);
    }

    [Fact]
    public void Overlay_PutsEverythingInItsOwnNamespace_AndCreatesIt()
    {
        K8sObject ns = Coordinator.Single("Namespace");
        Assert.Equal("consortia", ns.Name); // the site nodes' NetworkPolicy allows egress to this namespace
        Assert.Equal("restricted", ns.Labels.GetValueOrDefault("pod-security.kubernetes.io/enforce"));
        Assert.All(Coordinator.Objects.Where(o => o.Kind != "Namespace"), o => Assert.Equal(ns.Name, o.Namespace));
    }

    [Fact]
    public void NetworkPolicy_AdminPortOnlyFromInsideTheNamespace()
    {
        K8sObject policy = Coordinator.Single("NetworkPolicy");
        Assert.True(PodChecks.Selects(policy.Root.At("spec", "podSelector", "matchLabels").Pairs(), Deployment.PodLabels));
        foreach (YamlNode rule in policy.Root.At("spec", "ingress").Items())
        {
            IEnumerable<string?> ports = rule.At("ports").Items().Select(p => p.At("port").Text());
            if (ports.Contains("7445"))
            {
                YamlNode peer = Assert.Single(rule.At("from").Items());
                Assert.True(peer.Has("podSelector") && !peer.Has("namespaceSelector") && !peer.Has("ipBlock"), "the admin port must be open to this namespace's pods only");
            }
        }
    }

    private static int[] Ports(K8sObject service) =>
        [.. service.Root.At("spec", "ports").Items().Select(p => int.Parse(p.At("port").Text()!, CultureInfo.InvariantCulture))];
}
