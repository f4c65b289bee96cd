using System.Text;
using Consortia.TestKit;
using YamlDotNet.RepresentationModel;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>
/// The init containers' shell scripts, taken from the rendered manifests and run with /bin/sh against a
/// temporary folder standing in for the volumes, with a stand-in `consortia` that records its arguments.
/// </summary>
[Trait("Category", "Slow")]
public sealed class InitScriptTests(RenderedOverlays overlays) : IClassFixture<RenderedOverlays>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private const string Url = "https://coordinator.example.org:7444";

    [Fact]
    public async Task Enroll_FirstStart_RunsNodeEnrollWithTheSecretsTokenIntoTheIdentityFolder()
    {
        using Sandbox box = new();
        box.Write("secrets/enrollment-token", "tok-0123456789abcdef\n");
        ProcessResult result = await box.RunAsync(EnrollScript());

        Assert.True(result.ExitCode == 0, result.Error);
        string[]? recorded = box.RecordedArguments();
        Assert.NotNull(recorded);
        Assert.Equal(
            ["node", "enroll", "--coordinator", Url, "--token", "tok-0123456789abcdef", "--out", box.Path("state/identity")],
            recorded);
        Assert.True(Directory.Exists(box.Path("state/identity")));
    }

    [Fact]
    public async Task Enroll_AlreadyEnrolled_KeepsTheIdentityAndDoesNotEnrollAgain()
    {
        using Sandbox box = new();
        box.Write("state/identity/site.crt.pem", "certificate");
        box.Write("secrets/enrollment-token", "an-already-used-token");
        ProcessResult result = await box.RunAsync(EnrollScript());

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["node", "check-identity", "--identity", box.Path("state/identity")], box.RecordedArguments()!);
        Assert.Equal("certificate", await File.ReadAllTextAsync(box.Path("state/identity/site.crt.pem"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Enroll_ExpiredCertificate_IsMovedAsideAndTheSiteEnrollsAgain()
    {
        using Sandbox box = new(checkExitCode: 3);
        box.Write("state/identity/site.crt.pem", "expired certificate");
        box.Write("secrets/enrollment-token", "tok-new-0123456789\n");
        ProcessResult result = await box.RunAsync(EnrollScript());

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["node", "enroll", "--coordinator", Url, "--token", "tok-new-0123456789", "--out", box.Path("state/identity")], box.RecordedArguments()!);
        string aside = Assert.Single(Directory.GetDirectories(box.Path("state"), "identity.expired-*"));
        Assert.Equal("expired certificate", await File.ReadAllTextAsync(Path.Combine(aside, "site.crt.pem"), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(box.Path("state/identity/site.crt.pem")));
    }

    [Fact]
    public async Task Enroll_UnreadableIdentity_IsNotEnrolledOver()
    {
        using Sandbox box = new(checkExitCode: 2);
        box.Write("state/identity/site.crt.pem", "garbage");
        box.Write("secrets/enrollment-token", "tok-new-0123456789");
        ProcessResult result = await box.RunAsync(EnrollScript());

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("not enrolling over it", result.Error, StringComparison.Ordinal);
        Assert.Equal("check-identity", box.RecordedArguments()![1]);
        Assert.Equal("garbage", await File.ReadAllTextAsync(box.Path("state/identity/site.crt.pem"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Enroll_ExamplesPlaceholderToken_IsRefusedWithAHint()
    {
        using Sandbox box = new();
        box.Write("secrets/enrollment-token", overlays.SiteExample.Single("Secret").Data("enrollment-token"));
        ProcessResult result = await box.RunAsync(EnrollScript());

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("consortia token create", result.Error, StringComparison.Ordinal);
        Assert.Null(box.RecordedArguments());
    }

    [Fact]
    public async Task Enroll_NoToken_IsRefused()
    {
        using Sandbox box = new();
        ProcessResult result = await box.RunAsync(EnrollScript());

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no enrollment token", result.Error, StringComparison.Ordinal);
        Assert.Null(box.RecordedArguments());
    }

    [Fact]
    public async Task AwaitHome_LoadedAndComplete_LetsTheCoordinatorStart()
    {
        using Sandbox box = new();
        box.Write("state/.loaded", "");
        box.Write("state/ca.crt.pem", "ca");
        box.Write("state/admin.token", "token");
        ProcessResult result = await box.RunAsync(AwaitHomeScript());
        Assert.True(result.ExitCode == 0, result.Error);
    }

    [Fact]
    public async Task AwaitHome_MarkedLoadedButIncomplete_Fails()
    {
        using Sandbox box = new();
        box.Write("state/.loaded", "");
        box.Write("state/ca.crt.pem", "ca");
        ProcessResult result = await box.RunAsync(AwaitHomeScript());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("admin.token", result.Error, StringComparison.Ordinal);
    }

    private string EnrollScript() => Script(overlays.SiteExample.Single("Deployment").Container("enroll"));

    private string AwaitHomeScript() => Script(overlays.Coordinator.Single("Deployment").Container("await-home"));

    private static string Script(YamlNode container)
    {
        Assert.Equal(["/bin/sh", "-c"], container.At("command").Items().Select(c => c.Text()));
        return Assert.Single(container.At("args").Items()).Text()!;
    }

    /// <summary>Stand-ins for the pod's volumes and for the `consortia` executable.</summary>
    private sealed class Sandbox : IDisposable
    {
        private readonly TempDirectory _temp = new();

        /// <param name="checkExitCode">What the stand-in answers to `node check-identity` (0 valid, 3 expired, 2 unreadable).</param>
        public Sandbox(int checkExitCode = 0)
        {
            Directory.CreateDirectory(Path("state"));
            Directory.CreateDirectory(Path("bin"));
            string fake = Path("bin/consortia");
            File.WriteAllText(fake, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$FAKE_ARGS\"\n"
                + $"if [ \"$2\" = check-identity ]; then exit {checkExitCode}; fi\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        public string Path(string relative) => System.IO.Path.Combine(_temp.Path, relative);

        public void Write(string relative, string content)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path(relative))!);
            File.WriteAllText(Path(relative), content, new UTF8Encoding(false));
        }

        public async Task<ProcessResult> RunAsync(string script)
        {
            string local = script
                .Replace("/var/lib/consortia", Path("state"), StringComparison.Ordinal)
                .Replace("/var/run/secrets/consortia", Path("secrets"), StringComparison.Ordinal);
            Assert.DoesNotContain("/var/", local, StringComparison.Ordinal);
            return await ChildProcess.RunAsync("/bin/sh", ["-c", local], s_timeout, new Dictionary<string, string>
            {
                ["PATH"] = Path("bin") + ":/usr/bin:/bin",
                ["FAKE_ARGS"] = Path("args"),
                ["CONSORTIA_ENROLLMENT_URL"] = Url,
            }, TestContext.Current.CancellationToken);
        }

        public string[]? RecordedArguments() => File.Exists(Path("args")) ? File.ReadAllLines(Path("args")) : null;

        public void Dispose() => _temp.Dispose();
    }
}
