using Consortia.Network.Identity;

namespace Consortia.Cli.Tests.Commands;

public sealed class IdentityCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("consortia-cli-identity-").FullName;

    [Fact]
    public async Task ProvisionTokenSite_WorkAsDocumented()
    {
        string home = Path.Combine(_dir, "home");

        (int exit, string output, string error) = await CliRunner.RunAsync("provision", "--consortium", "heart-study", "--out", home, "--host", "coordinator.example.org", "--host", "127.0.0.1");
        Assert.True(exit == 0, error);
        Assert.Contains("CA pin", output, StringComparison.Ordinal);
        Assert.All(IdentityFiles.CoordinatorHome, f => Assert.True(File.Exists(Path.Combine(home, f)), f));

        (exit, _, error) = await CliRunner.RunAsync("provision", "--consortium", "heart-study", "--out", home);
        Assert.Equal(1, exit);
        Assert.Contains("refusing to overwrite", error, StringComparison.Ordinal);

        (exit, output, error) = await CliRunner.RunAsync("token", "create", "--site", "hospital-1", "--expires", "2h", "--home", home);
        Assert.True(exit == 0, error);
        EnrollmentToken token = EnrollmentToken.Parse(output.Trim());
        Assert.Equal("hospital-1", token.Site);
        using (CoordinatorIdentity identity = CoordinatorIdentity.Open(home, TimeProvider.System))
        {
            Assert.Equal(identity.CaPin, token.CaPin);
        }

        (exit, _, error) = await CliRunner.RunAsync("token", "create", "--site", "Hospital_1", "--home", home);
        Assert.Equal(2, exit);
        Assert.Contains("invalid site name", error, StringComparison.Ordinal);

        (exit, _, error) = await CliRunner.RunAsync("site", "revoke", "hospital-1", "--home", home);
        Assert.Equal(1, exit);
        Assert.Contains("no certificate", error, StringComparison.Ordinal);

        (exit, output, error) = await CliRunner.RunAsync("site", "list", "--home", home);
        Assert.True(exit == 0, error);
        Assert.StartsWith("SITE", output, StringComparison.Ordinal);

        (exit, _, error) = await CliRunner.RunAsync("site", "list", "--home", Path.Combine(_dir, "nowhere"));
        Assert.Equal(2, exit);
        Assert.Contains("missing", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeEnroll_MalformedToken_IsRefusedWithoutWritingAnything()
    {
        string output = Path.Combine(_dir, "identity");

        (int exit, _, string error) = await CliRunner.RunAsync("node", "enroll", "--coordinator", "https://127.0.0.1:7444", "--token", "not-a-token", "--out", output);

        Assert.Equal(1, exit);
        Assert.Contains("malformed enrollment token", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
