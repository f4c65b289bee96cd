using System.Globalization;
using System.Text.Json;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>
/// The kubectl these tests render deploy/k8s with: <c>$CONSORTIA_KUBECTL</c> when set (.ci/run sets it when it
/// had to fetch one), else the first <c>kubectl</c> on PATH, else /usr/bin/kubectl.
/// </summary>
internal static class Kubectl
{
    /// <summary>The oldest embedded kustomize that understands the manifests (directories under resources, patches, labels).</summary>
    public static readonly Version MinimumKustomize = new(4, 1);

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private static readonly Lazy<Task<Version>> s_kustomizeVersion = new(() => KustomizeVersionAsync(CancellationToken.None));

    /// <summary>Finds kubectl, or fails the test with what to do about it.</summary>
    public static string Locate()
    {
        string? configured = Environment.GetEnvironmentVariable("CONSORTIA_KUBECTL");
        if (!string.IsNullOrEmpty(configured))
        {
            Assert.True(File.Exists(configured), $"CONSORTIA_KUBECTL points at {configured}, which does not exist.");
            return configured;
        }

        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (string candidate in path.Select(d => Path.Combine(d, "kubectl")).Append("/usr/bin/kubectl"))
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail(
            "kubectl was not found (looked at $CONSORTIA_KUBECTL, every PATH entry and /usr/bin/kubectl). The deployment "
            + "tests render deploy/k8s with `kubectl kustomize`: run .ci/run, which installs kubectl when it is missing, "
            + $"or install kubectl >= 1.21 (kustomize >= {MinimumKustomize}) yourself, or set CONSORTIA_KUBECTL to one.");
        return "";
    }

    /// <summary>Runs kubectl with <paramref name="arguments"/>; fails the test with kubectl's own message on a non-zero exit.</summary>
    public static async Task<string> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        string kubectl = Locate();
        ProcessResult result = await ChildProcess.RunAsync(kubectl, arguments, s_timeout, null, cancellationToken);
        Assert.True(result.ExitCode == 0, $"`{kubectl} {string.Join(' ', arguments)}` exited with {result.ExitCode}:\n{result.Error}");
        return result.Output;
    }

    /// <summary>Renders a Kustomize folder (<c>kubectl kustomize DIR</c>) after checking that kubectl's kustomize is recent enough.</summary>
    public static async Task<Rendered> KustomizeAsync(string folder, CancellationToken cancellationToken)
    {
        Version kustomize = await s_kustomizeVersion.Value.WaitAsync(cancellationToken);
        Assert.True(
            kustomize >= MinimumKustomize,
            $"{Locate()} {(kustomize.Major == 0 ? "reports no kustomize version (kubectl older than 1.21)" : $"embeds kustomize {kustomize}")}; "
            + $"the manifests need kustomize >= {MinimumKustomize} (kubectl >= 1.21). "
            + "Debian 12's kubernetes-client (kubectl 1.20, kustomize 2.0.3) is too old; .ci/run fetches a newer kubectl.");
        return Rendered.Parse(await RunAsync(["kustomize", folder], cancellationToken), folder);
    }

    private static async Task<Version> KustomizeVersionAsync(CancellationToken cancellationToken)
    {
        string json = await RunAsync(["version", "--client", "-o", "json"], cancellationToken);
        using JsonDocument document = JsonDocument.Parse(json);
        string text = document.RootElement.TryGetProperty("kustomizeVersion", out JsonElement v) ? v.GetString() ?? "" : "";
        string digits = new([.. text.TrimStart('v').TakeWhile(c => char.IsDigit(c) || c == '.')]);
        string[] parts = digits.Split('.', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2
            ? new Version(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture))
            : new Version(0, 0); // kubectl before 1.21 does not report it
    }
}
