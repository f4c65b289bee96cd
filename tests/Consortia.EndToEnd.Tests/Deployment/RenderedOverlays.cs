using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>The two shipped overlays, rendered with <c>kubectl kustomize</c> once per test run and shared by the test classes.</summary>
public sealed class RenderedOverlays : IAsyncLifetime
{
    private static readonly Lazy<Task<(Rendered Coordinator, Rendered SiteExample)>> s_rendered = new(RenderAsync);

    internal static string K8sRoot => RepositoryPaths.Combine("deploy", "k8s");

    internal static string Overlay(string name) => Path.Combine(K8sRoot, "overlays", name);

    internal Rendered Coordinator { get; private set; } = null!;

    internal Rendered SiteExample { get; private set; } = null!;

    public async ValueTask InitializeAsync() => (Coordinator, SiteExample) = await s_rendered.Value;

    private static async Task<(Rendered, Rendered)> RenderAsync() =>
        (await Kubectl.KustomizeAsync(Overlay("coordinator"), CancellationToken.None),
         await Kubectl.KustomizeAsync(Overlay("site-example"), CancellationToken.None));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
