using Consortia.TestKit;
using YamlDotNet.RepresentationModel;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>
/// Every folder under deploy/k8s/overlays builds with <c>kubectl kustomize</c>, and every pod it renders uses only the
/// volume types its namespace's Pod Security level admits; the NFS example is a PersistentVolume and a claim bound to
/// each other (an inline <c>nfs:</c> volume would be refused by the <c>restricted</c> level).
/// </summary>
[Trait("Category", "Slow")]
public sealed class OverlayPodSecurityTests
{
    /// <summary>The volume types the "restricted" Pod Security Standard admits in a pod.</summary>
    private static readonly HashSet<string> s_restrictedVolumes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    public static TheoryData<string> Overlays() =>
        [.. Directory.GetDirectories(RenderedOverlays.Overlay(""))
            .Where(d => File.Exists(Path.Combine(d, "kustomization.yaml")))
            .Select(d => new DirectoryInfo(d).Name)
            .Order(StringComparer.Ordinal)];

    [Fact]
    public void TheNfsExample_IsAmongTheOverlays() => Assert.Contains("site-example-nfs", Overlays().Select(row => row.Data));

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_Builds_AndItsPodsUseOnlyVolumesTheirNamespacesPodSecurityAdmits(string overlay)
    {
        Rendered rendered = await Kubectl.KustomizeAsync(RenderedOverlays.Overlay(overlay), TestContext.Current.CancellationToken);
        K8sObject[] workloads = [.. rendered.Objects.Where(o => o.Kind is "Deployment" or "StatefulSet" or "DaemonSet" or "Job" or "Pod")];
        Assert.NotEmpty(workloads);
        foreach (K8sObject workload in workloads)
        {
            K8sObject ns = rendered.Named("Namespace", workload.Namespace ?? "");
            Assert.Equal("restricted", ns.Labels.GetValueOrDefault("pod-security.kubernetes.io/enforce"));
            foreach (YamlNode volume in workload.PodSpec.At("volumes").Items())
            {
                string[] types = [.. ((YamlMappingNode)volume).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Where(k => k != "name")];
                string type = Assert.Single(types);
                Assert.True(s_restrictedVolumes.Contains(type), $"{overlay}: {workload} volume {volume.At("name").Text()} is '{type}', which the restricted Pod Security level refuses");
            }
        }
    }

    [Fact]
    public async Task NfsExample_IsAPersistentVolumeAndAClaimBoundToEachOther_MountedReadOnly()
    {
        Rendered rendered = await Kubectl.KustomizeAsync(RenderedOverlays.Overlay("site-example-nfs"), TestContext.Current.CancellationToken);
        K8sObject volume = rendered.Single("PersistentVolume");
        YamlNode spec = volume.Root.At("spec")!;
        Assert.Equal("true", spec.At("nfs", "readOnly").Text());
        Assert.False(string.IsNullOrEmpty(spec.At("nfs", "server").Text()));
        Assert.StartsWith("/", spec.At("nfs", "path").Text(), StringComparison.Ordinal);
        Assert.Equal(["ReadOnlyMany"], spec.At("accessModes").Items().Select(m => m.Text()));
        Assert.Equal("", spec.At("storageClassName").Text());
        Assert.Equal("Retain", spec.At("persistentVolumeReclaimPolicy").Text());

        // The pod's data claim is the one the volume reserves, and it asks for exactly that volume.
        K8sObject deployment = rendered.Single("Deployment");
        string claimName = deployment.Volume("data").At("persistentVolumeClaim", "claimName").Text()!;
        Assert.Equal("true", deployment.Volume("data").At("persistentVolumeClaim", "readOnly").Text());
        K8sObject claim = rendered.Named("PersistentVolumeClaim", claimName);
        Assert.Equal(claim.Name, spec.At("claimRef", "name").Text());
        Assert.Equal(claim.Namespace, spec.At("claimRef", "namespace").Text());
        Assert.Equal(volume.Name, claim.Root.At("spec", "volumeName").Text());
        Assert.Equal("", claim.Root.At("spec", "storageClassName").Text());
        Assert.Equal(["ReadOnlyMany"], claim.Root.At("spec", "accessModes").Items().Select(m => m.Text()));
        Assert.Equal(volume.Root.At("spec", "capacity", "storage").Text(), claim.Root.At("spec", "resources", "requests", "storage").Text());
    }
}
