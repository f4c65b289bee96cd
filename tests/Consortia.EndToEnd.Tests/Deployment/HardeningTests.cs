using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>What every workload of every overlay must do: non-root, read-only root filesystem, no capabilities, bounded memory.</summary>
[Trait("Category", "Slow")]
public sealed class HardeningTests(RenderedOverlays overlays) : IClassFixture<RenderedOverlays>
{
    public static TheoryData<string> Overlays => new(Directory.GetDirectories(Path.Combine(RenderedOverlays.K8sRoot, "overlays")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryOverlay_Renders_WithEveryReferenceResolved(string overlay)
    {
        Rendered rendered = await Kubectl.KustomizeAsync(RenderedOverlays.Overlay(overlay), TestContext.Current.CancellationToken);
        foreach (K8sObject workload in rendered.OfKind("Deployment"))
        {
            foreach (YamlNode volume in workload.PodSpec.At("volumes").Items())
            {
                if (volume.At("persistentVolumeClaim", "claimName").Text() is { } claim)
                {
                    rendered.Named("PersistentVolumeClaim", claim);
                }

                if (volume.At("configMap", "name").Text() is { } configMap)
                {
                    rendered.Named("ConfigMap", configMap);
                }

                if (volume.At("secret", "secretName").Text() is { } secret)
                {
                    rendered.Named("Secret", secret);
                }

                foreach (YamlNode source in volume.At("projected", "sources").Items())
                {
                    rendered.Named("ConfigMap", source.At("configMap", "name").Text()!);
                }
            }

            foreach (YamlNode reference in workload.AllContainers.SelectMany(c => c.At("env").Items()).Select(e => e.At("valueFrom", "configMapKeyRef")).OfType<YamlNode>())
            {
                Assert.NotNull(rendered.Named("ConfigMap", reference.At("name").Text()!).Root.At("data", reference.At("key").Text()!));
            }

            Assert.All(workload.AllContainers, c => Assert.DoesNotContain(":latest", c.At("image").Text() ?? ":latest", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("site-example")]
    public void Workload_RunsNonRootWithReadOnlyRootAndNoCapabilities(string overlay)
    {
        K8sObject workload = Render(overlay).Single("Deployment");
        YamlNode pod = workload.PodSpec;
        Assert.Equal("true", pod.At("securityContext", "runAsNonRoot").Text());
        int uid = int.Parse(pod.At("securityContext", "runAsUser").Text()!, CultureInfo.InvariantCulture);
        Assert.True(uid > 0, "runAsUser must be a non-zero UID");
        Assert.Equal("RuntimeDefault", pod.At("securityContext", "seccompProfile", "type").Text());
        Assert.Equal("false", pod.At("automountServiceAccountToken").Text());

        Assert.NotEmpty(workload.Containers);
        foreach (YamlNode container in workload.AllContainers)
        {
            string name = container.At("name").Text()!;
            YamlNode? security = container.At("securityContext");
            Assert.True("true" == security.At("readOnlyRootFilesystem").Text(), $"{name}: readOnlyRootFilesystem");
            Assert.True("false" == security.At("allowPrivilegeEscalation").Text(), $"{name}: allowPrivilegeEscalation");
            Assert.True(security.At("privileged").Text() is null or "false", $"{name}: privileged");
            Assert.True(security.At("runAsUser").Text() is null or not "0", $"{name}: runs as root");
            Assert.Equal(["ALL"], security.At("capabilities", "drop").Items().Select(c => c.Text()));
            Assert.Empty(security.At("capabilities", "add").Items());
            Assert.True(container.At("resources", "requests", "memory") is not null, $"{name}: no memory request");
            Assert.True(container.At("resources", "limits", "memory") is not null, $"{name}: no memory limit");

            // With a read-only root, /tmp must be a writable volume.
            YamlNode? tmp = container.At("volumeMounts").Items().SingleOrDefault(m => m.At("mountPath").Text() == "/tmp");
            Assert.True(tmp is not null, $"{name}: no writable /tmp");
            Assert.NotNull(workload.Volume(tmp.At("name").Text()!).At("emptyDir"));
        }
    }

    private Rendered Render(string overlay) => overlay == "coordinator" ? overlays.Coordinator : overlays.SiteExample;
}
