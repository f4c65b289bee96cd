using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>
/// deploy/docker/Dockerfile and .dockerignore, read (no Docker engine runs here): two stages, the SDK building
/// what the runtime image runs as a non-root user; the restore sees every project and the central package
/// versions; nothing secret enters the build context or the image.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly Dockerfile s_file = Dockerfile.Parse(File.ReadAllText(RepositoryPaths.Combine("deploy", "docker", "Dockerfile")));
    private static readonly DockerIgnore s_ignore = new(File.ReadAllText(RepositoryPaths.Combine(".dockerignore")));
    private const string CliProject = "src/Consortia.Cli/Consortia.Cli.csproj";

    private static DockerStage Build => s_file.Stage("build");

    [Fact]
    public void Stages_SdkBuildsAndTheAspNetRuntimeRuns_DotNet10()
    {
        Assert.True(s_file.Stages.Count >= 2, "the Dockerfile must be multi-stage");
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", s_file.Expand(Build.Image));
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", s_file.Expand(s_file.Final.Image));

        // The runtime stage takes the published application from the build stage and nothing else from it.
        DockerInstruction copy = Assert.Single(s_file.Final.All("COPY"), c => c.Flag("from") is not null);
        Assert.Equal("build", copy.Flag("from"));
        Assert.DoesNotContain(s_file.Final.All("RUN"), r => r.Arguments.Contains("dotnet ", StringComparison.Ordinal));
    }

    [Fact]
    public void Runtime_RunsAsANumericNonRootUser()
    {
        DockerInstruction user = Assert.Single(s_file.Final.All("USER"));
        string uid = user.Words[0].Split(':')[0];
        Assert.Matches("^[0-9]+$", uid); // numeric, so that runAsNonRoot can check it
        Assert.NotEqual(0, int.Parse(uid, System.Globalization.CultureInfo.InvariantCulture));

        // Nothing after USER that needs root, and the user is the last word on it.
        int at = s_file.Final.Instructions.ToList().IndexOf(user);
        Assert.DoesNotContain(s_file.Final.Instructions.Skip(at + 1), i => i.Keyword is "RUN" or "USER");
    }

    [Fact]
    public void Entrypoint_IsTheConsortiaExecutableThePublishWrites()
    {
        DockerInstruction entrypoint = Assert.Single(s_file.Final.All("ENTRYPOINT"));
        string[] exec = JsonSerializer.Deserialize<string[]>(entrypoint.Arguments)!; // exec form: signals reach the process
        Assert.Equal("consortia", Path.GetFileName(exec[0]));

        // The Cli's assembly (and so its app host) is named consortia, and the publish writes it where the entrypoint looks.
        XDocument cli = XDocument.Load(RepositoryPaths.Combine(CliProject));
        Assert.Equal("consortia", cli.Descendants("AssemblyName").Single().Value);
        DockerInstruction publish = Assert.Single(Build.All("RUN"), r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Match output = Regex.Match(publish.Arguments, @"-o\s+(\S+)");
        Assert.True(output.Success, "dotnet publish without -o");
        Assert.Equal(output.Groups[1].Value.TrimEnd('/') + "/consortia", exec[0]);
        Assert.Contains(CliProject, publish.Arguments, StringComparison.Ordinal);
        Assert.Contains("--no-restore", publish.Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_SeesTheCentralVersionsAndEveryProjectTheCliReferences()
    {
        List<DockerInstruction> build = [.. Build.Instructions];
        int restore = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        Assert.True(restore >= 0, "no `dotnet restore` in the build stage");
        Assert.Contains(CliProject, build[restore].Arguments, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(\s--source\s|\s-s\s|Version=)", build[restore].Arguments); // versions come from Directory.Packages.props only

        HashSet<string> copiedBeforeRestore = [.. build.Take(restore).Where(i => i.Keyword == "COPY").SelectMany(Sources)];
        string[] required =
        [
            "Directory.Packages.props", "Directory.Build.props", "Directory.Build.targets", "global.json", "src/Directory.Build.props",
            .. ProjectClosure(CliProject),
        ];
        Assert.All(required, path => Assert.True(copiedBeforeRestore.Contains(path), $"{path} is not copied before `dotnet restore`"));

        // Central package management is really on, and no project pins a version of its own.
        Assert.Contains("<ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>", File.ReadAllText(RepositoryPaths.Combine("Directory.Build.props")), StringComparison.Ordinal);
        foreach (string project in ProjectClosure(CliProject))
        {
            Assert.DoesNotContain(
                XDocument.Load(RepositoryPaths.Combine(project)).Descendants("PackageReference"),
                p => p.Attribute("Version") is not null || p.Attribute("VersionOverride") is not null);
        }
    }

    [Fact]
    public void Publish_SeesEveryRepositoryFileTheProjectsInclude()
    {
        // e.g. Consortia.Data embeds data/contracts/*.yaml through $(RepoRoot): the image build needs them too.
        List<DockerInstruction> build = [.. Build.Instructions];
        int publish = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        string[] copied = [.. build.Take(publish).Where(i => i.Keyword == "COPY").SelectMany(Sources)];
        string[] files = ["Directory.Build.props", "Directory.Build.targets", "src/Directory.Build.props", .. ProjectClosure(CliProject)];
        foreach (string file in files)
        {
            foreach (Match m in Regex.Matches(File.ReadAllText(RepositoryPaths.Combine(file)), @"\$\(RepoRoot\)([^""$;]+)"))
            {
                string path = m.Groups[1].Value;
                Assert.True(copied.Any(c => path == c || path.StartsWith(c.TrimEnd('/') + "/", StringComparison.Ordinal)), $"{file} includes {path}, which the build stage does not copy before publishing");
            }
        }
    }

    [Fact]
    public void Copies_KeepTheRepositoryLayout_AndNothingCopiedIsLeftOutOfTheContext()
    {
        foreach (DockerInstruction copy in s_file.Stages.SelectMany(s => s.All("COPY")).Where(c => c.Flag("from") is null))
        {
            string destination = copy.Words[^1];
            foreach (string source in copy.Words.Take(copy.Words.Count - 1))
            {
                string full = RepositoryPaths.Combine(source);
                bool folder = Directory.Exists(full);
                Assert.True(folder || File.Exists(full), $"{copy}: {source} does not exist");
                string expected = folder ? source.TrimEnd('/') : Path.GetDirectoryName(source)!;
                Assert.Equal(expected.Length == 0 ? "." : expected, destination.TrimEnd('/').Length == 0 ? "." : destination.TrimEnd('/'));

                IEnumerable<string> files = folder
                    ? Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(RepositoryPaths.Root, f).Replace('\\', '/'))
                        .Where(f => !Regex.IsMatch(f, "/(bin|obj)/"))
                    : [source];
                Assert.All(files, f => Assert.False(s_ignore.Excludes(f), $"{copy}: .dockerignore leaves {f} out of the build context"));
            }
        }
    }

    [Fact]
    public void NoSecrets_InTheImageOrTheBuildContext()
    {
        Regex secret = new(@"(\.key|\.pem|\.pfx|\.p12|token|coordinator-home|identity\.db|\.db$)", RegexOptions.IgnoreCase);
        foreach (DockerInstruction copy in s_file.Stages.SelectMany(s => s.All("COPY")).Where(c => c.Flag("from") is null))
        {
            Assert.All(copy.Words.Take(copy.Words.Count - 1), source => Assert.DoesNotMatch(secret, source));
        }

        Assert.Empty(s_file.Stages.SelectMany(s => s.All("ADD"))); // no remote downloads, no archives unpacked
        foreach (DockerInstruction variable in s_file.Global.Concat(s_file.Stages.SelectMany(s => s.Instructions)).Where(i => i.Keyword is "ENV" or "ARG"))
        {
            Assert.DoesNotMatch(new Regex("(TOKEN|SECRET|PASSWORD|PASSWD|_KEY|APIKEY)", RegexOptions.IgnoreCase), variable.Arguments);
        }

        // The context never carries build output, history, key material or a coordinator home.
        string[] excluded =
        [
            "src/Consortia.Cli/bin/Release/net10.0/consortia.dll", "src/Consortia.Cli/obj/project.assets.json", ".git/HEAD",
            "artifacts/test-results/x.trx", "out/heart-disease/model.json", "coordinator-home/ca.key.pem",
            "home/ca.key.pem", "sites/a/identity/site.key.pem", "admin.token", "deploy/k8s/overlays/site-a/enrollment-token",
            "data/fed-heart-disease/processed.cleveland.data",
        ];
        Assert.All(excluded, path => Assert.True(s_ignore.Excludes(path), $".dockerignore lets {path} into the build context"));
        Assert.False(s_ignore.Excludes("data/contracts/heart-disease-uci.yaml"));
    }

    private static IEnumerable<string> Sources(DockerInstruction copy) => copy.Words.Take(copy.Words.Count - 1)
        .SelectMany(s => Directory.Exists(RepositoryPaths.Combine(s))
            ? Directory.EnumerateFiles(RepositoryPaths.Combine(s), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(RepositoryPaths.Root, f).Replace('\\', '/')).Prepend(s.TrimEnd('/'))
            : [s]);

    /// <summary>The project and every project it references, directly or not, as repository-relative paths.</summary>
    private static List<string> ProjectClosure(string project)
    {
        List<string> found = [];
        Queue<string> pending = new([project]);
        while (pending.TryDequeue(out string? current))
        {
            if (found.Contains(current))
            {
                continue;
            }

            found.Add(current);
            string folder = Path.GetDirectoryName(RepositoryPaths.Combine(current))!;
            foreach (XElement reference in XDocument.Load(RepositoryPaths.Combine(current)).Descendants("ProjectReference"))
            {
                string full = Path.GetFullPath(Path.Combine(folder, reference.Attribute("Include")!.Value));
                pending.Enqueue(Path.GetRelativePath(RepositoryPaths.Root, full).Replace('\\', '/'));
            }
        }

        return found;
    }
}
