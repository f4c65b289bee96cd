using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Consortia.Cli.Deployment;
using Consortia.EndToEnd.Tests.Support;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// Separate hosts made with Linux network namespaces: the coordinator in one, each hospital in its own, joined
/// by veth pairs. One hospital's link is cut while the job runs; the rounds complete with the others, and the
/// hospital rejoins by itself when its link returns. Namespaces are removed whatever happens.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed class NetworkNamespaceTests
{
    private static readonly string[] s_hospitals = ["cleveland", "hungarian", "switzerland", "va"];

    [Fact]
    public async Task SiteLinkCut_RoundsCompleteWithTheOthers_AndTheSiteRejoins()
    {
        await using NetworkNamespaces hosts = await NetworkNamespaces.CreateAsync(s_hospitals);
        await using Consortium consortium = await Consortium.ProvisionAsync(NetworkNamespaces.CoordinatorAddress(0), [.. s_hospitals.Skip(1).Select((_, i) => NetworkNamespaces.CoordinatorAddress(i + 1)), "127.0.0.1"], hosts.Coordinator);
        await consortium.StartCoordinatorAsync(roundTimeout: "15s");
        for (int i = 0; i < s_hospitals.Length; i++)
        {
            await consortium.EnrollAndStartNodeAsync(s_hospitals[i], hosts.Site(i), NetworkNamespaces.CoordinatorAddress(i));
        }

        // The policed Heart job (secure aggregation, at least 3 hospitals per aggregate) with more rounds.
        string job = Path.Combine(consortium.Root, "linkcut.yaml");
        string text = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken);
        text = text.Replace("rounds: 15 ", "rounds: 40 ", StringComparison.Ordinal).Replace("../../data/fed-heart-disease", Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease"), StringComparison.Ordinal);
        await File.WriteAllTextAsync(job, text, TestContext.Current.CancellationToken);
        string jobId = await consortium.SubmitAsync(job);
        ConsortiaProcess coordinator = consortium.Coordinator!;
        await coordinator.WaitForLineAsync(l => l.Contains("round 3 of 40 committed", StringComparison.Ordinal), TimeSpan.FromMinutes(2), "committing round 3", TestContext.Current.CancellationToken);

        await hosts.SetLinkAsync(3, up: false); // va's cable is pulled
        await coordinator.WaitForLineAsync(l => l.Contains("3 contributors)", StringComparison.Ordinal), TimeSpan.FromMinutes(2), "completing a round with the three others", TestContext.Current.CancellationToken);
        await hosts.SetLinkAsync(3, up: true);
        using JsonDocument status = await consortium.WaitForJobAsync(jobId, TimeSpan.FromMinutes(6));

        JsonElement[] rounds = [.. status.RootElement.GetProperty("rounds").EnumerateArray()];
        Assert.Equal(Enumerable.Range(1, 40), rounds.Select(r => r.GetProperty("round").GetInt32()));
        int firstWithout = Array.FindIndex(rounds, r => r.GetProperty("participants").GetInt32() == 3);
        Assert.True(firstWithout > 0, consortium.Logs());
        Assert.True(rounds[firstWithout].GetProperty("aggregated").GetBoolean());
        Assert.Contains(rounds.Skip(firstWithout + 1), r => r.GetProperty("participants").GetInt32() == 4);
        Assert.Equal(4, rounds[^1].GetProperty("participants").GetInt32());
    }
}

/// <summary>One network namespace per host: the coordinator's and one per site, each site joined to the coordinator by a veth pair.</summary>
internal sealed class NetworkNamespaces : IAsyncDisposable
{
    private readonly string _prefix;
    private readonly int _sites;

    private NetworkNamespaces(string prefix, int sites)
    {
        _prefix = prefix;
        _sites = sites;
    }

    public string Coordinator => _prefix + "c";

    public string Site(int i) => _prefix + "s" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>The coordinator's address on site <paramref name="i"/>'s link.</summary>
    public static string CoordinatorAddress(int i) => $"10.213.{i}.1";

    private static string SiteAddress(int i) => $"10.213.{i}.2";

    private string CoordinatorEnd(int i) => $"{_prefix}c{i}";

    public static async Task<NetworkNamespaces> CreateAsync(IReadOnlyList<string> sites)
    {
        string prefix = "cns" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture).PadLeft(4, '0')[^4..] + "-";
        NetworkNamespaces hosts = new(prefix, sites.Count);
        try
        {
            await Ip("netns", "add", hosts.Coordinator);
            await Ip("-n", hosts.Coordinator, "link", "set", "lo", "up");
            for (int i = 0; i < sites.Count; i++)
            {
                string ns = hosts.Site(i);
                await Ip("netns", "add", ns);
                await Ip("-n", ns, "link", "set", "lo", "up");
                await Ip("-n", hosts.Coordinator, "link", "add", hosts.CoordinatorEnd(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
                await Ip("-n", hosts.Coordinator, "addr", "add", NetworkNamespaces.CoordinatorAddress(i) + "/30", "dev", hosts.CoordinatorEnd(i));
                await Ip("-n", hosts.Coordinator, "link", "set", hosts.CoordinatorEnd(i), "up");
                await Ip("-n", ns, "addr", "add", NetworkNamespaces.SiteAddress(i) + "/30", "dev", "eth0");
                await Ip("-n", ns, "link", "set", "eth0", "up");
            }
        }
        catch
        {
            await hosts.DisposeAsync();
            throw;
        }

        return hosts;
    }

    /// <summary>Pulls or re-plugs site <paramref name="i"/>'s cable (the coordinator's end of its veth).</summary>
    public Task SetLinkAsync(int i, bool up) => Ip("-n", Coordinator, "link", "set", CoordinatorEnd(i), up ? "up" : "down");

    public async ValueTask DisposeAsync()
    {
        // Deleting a namespace deletes its veth ends; processes still inside were killed by the deployment first.
        for (int i = 0; i < _sites; i++)
        {
            await TryIp("netns", "del", Site(i));
        }

        await TryIp("netns", "del", Coordinator);
    }

    private static async Task Ip(params string[] args)
    {
        (int code, string output) = await Run(args);
        Assert.True(code == 0, $"`ip {string.Join(' ', args)}` failed ({code}): {output}. These tests need root and iproute2 (network namespaces).");
    }

    private static async Task TryIp(params string[] args) => await Run(args);

    private static async Task<(int, string)> Run(string[] args)
    {
        ProcessStartInfo start = new("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, output);
    }
}
