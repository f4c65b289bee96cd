using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using Consortia.Cli.Commands;
using Consortia.Governance.Agreements;
using Consortia.Governance.Policies;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Cli.Tests.Commands;

/// <summary>The agreement's life at the command line: sites join a roster, the agreement is drafted from it, every member signs, one changed byte voids it.</summary>
public sealed class AgreementCommandsTests : IDisposable
{
    private static readonly string[] s_sites = ["cleveland", "hungarian", "switzerland", "va"];
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2027, 3, 1, 12, 0, 0, TimeSpan.Zero));

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    private async Task<(int Exit, string Out, string Err)> Agreement(params string[] args)
    {
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        RootCommand root = new() { AgreementCommands.Create(_time) };
        int exit = await root.Parse(["agreement", .. args]).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, TestContext.Current.CancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string Node(string site)
    {
        Directory.CreateDirectory(_dir.File(site));
        string config = Path.Combine(_dir.File(site), "site.yaml");
        File.WriteAllText(config, $"site: {site}\ncoordinator: https://coordinator.example.org:7443\nstate: state\ndata:\n  path: data.csv\n  site: {site}\n");
        return config;
    }

    /// <summary>Every site joins the roster (creating its key); the agreement is drafted from the roster and its TODO placeholders filled in.</summary>
    private async Task<string> DraftAsync()
    {
        string agreement = await UnfilledDraftAsync();
        // The parties' part: every placeholder (up to a comment, a list's end or the line's end) becomes an agreed value.
        string filled = Regex.Replace(await File.ReadAllTextAsync(agreement, Cancel), @"(?i)\btodo\b[^\n\]#]*", "agreed by the members "); // the space keeps a following comment a comment
        await File.WriteAllTextAsync(agreement, filled, Cancel);
        return agreement;
    }

    private async Task<string> UnfilledDraftAsync()
    {
        string roster = _dir.File("roster.json");
        foreach (string site in s_sites)
        {
            string entry = _dir.File(site + ".member.json");
            Assert.Equal(0, (await CliRunner.RunAsync("roster", "join", "--config", Node(site), "--consortium", "heart-consortium", "--out", entry)).Exit);
            Assert.Equal(0, (await CliRunner.RunAsync("roster", "add", "--roster", roster, "--member", entry, "--consortium", "heart-consortium")).Exit);
        }

        string agreement = _dir.File("agreement.yaml");
        (int exit, _, string error) = await Agreement("init", "--out", agreement, "--roster", roster);
        Assert.True(exit == 0, error);
        return agreement;
    }

    [Fact]
    public async Task InitFromRoster_SignByEveryMember_IsInForce_AndOneChangedByteFailsCheck()
    {
        string agreement = await DraftAsync();
        (int draftCheck, string draft, _) = await Agreement("check", agreement);
        (int unsignedStatus, string unsigned, _) = await Agreement("status", agreement);
        foreach (string site in s_sites)
        {
            (int signed, _, string signError) = await Agreement("sign", agreement, "--config", Node(site));
            Assert.True(signed == 0, signError);
        }

        (int statusExit, string status, _) = await Agreement("status", agreement);
        (int checkExit, string check, _) = await Agreement("check", agreement);
        await File.WriteAllTextAsync(agreement, (await File.ReadAllTextAsync(agreement, Cancel)).Replace("min_cell_count: 10", "min_cell_count: 19", StringComparison.Ordinal), Cancel);
        (int alteredExit, _, string altered) = await Agreement("check", agreement);
        (int alteredStatus, string alteredText, _) = await Agreement("status", agreement);

        Assert.Equal(0, draftCheck);
        Assert.Contains("0 signature(s) verify", draft, StringComparison.Ordinal);
        Assert.Equal(1, unsignedStatus);
        Assert.Contains("NOT in force", unsigned, StringComparison.Ordinal);
        Assert.Equal(0, statusExit);
        Assert.Contains("signed    cleveland, hungarian, switzerland, va", status, StringComparison.Ordinal);
        Assert.EndsWith("in force\n", status, StringComparison.Ordinal);
        Assert.Equal(0, checkExit);
        Assert.Contains("4 signature(s) verify", check, StringComparison.Ordinal);
        Assert.Equal(1, alteredExit);
        Assert.Contains("it was altered after signing", altered, StringComparison.Ordinal);
        Assert.Equal(1, alteredStatus);
        Assert.Contains("INVALID", alteredText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TheUnfilledDraft_IsRefusedNamingTheFirstPlaceholder()
    {
        string agreement = await UnfilledDraftAsync();

        (int exit, _, string error) = await Agreement("check", agreement);
        (int sign, _, string signError) = await Agreement("sign", agreement, "--config", Node("va"));

        Assert.Equal(2, exit);
        Assert.Matches(@"agreement\.yaml:6:\d+: purpose\.text: still holds the placeholder 'TODO the purpose in plain language'", error);
        Assert.Equal(2, sign);
        Assert.Contains("replace every TODO", signError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_AfterTheValidityDates_IsNotInForce()
    {
        string agreement = await DraftAsync();
        foreach (string site in s_sites)
        {
            Assert.Equal(0, (await Agreement("sign", agreement, "--config", Node(site))).Exit);
        }

        _time.Advance(TimeSpan.FromDays(800));
        (int exit, string output, _) = await Agreement("status", agreement);

        Assert.Equal(1, exit);
        Assert.Contains("is outside the agreement's validity", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_WithoutAKey_TellsToJoinTheRosterFirst()
    {
        using AgreementKit kit = new(_dir.Path);

        (int exit, _, string error) = await Agreement("sign", kit.Path, "--config", Node("va"));

        Assert.Equal(2, exit);
        Assert.Contains("run 'consortia roster join", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_InvalidFile_ExitsTwoNamingTheLineAndField()
    {
        using AgreementKit kit = new(_dir.Path);
        kit.Edit("min_sites_per_aggregate: 1", "min_sites_per_aggregate: none");

        (int exit, _, string error) = await Agreement("check", kit.Path);

        Assert.Equal(2, exit);
        Assert.Matches(@"cardiology-agreement\.yaml:\d+:\d+: protections\.min_sites_per_aggregate: expected an integer, got 'none'", error);
    }

    [Fact]
    public async Task Render_WritesHtmlOrMarkdownByExtension()
    {
        using AgreementKit kit = new(_dir.Path);
        kit.Sign();

        (int html, _, _) = await Agreement("render", kit.Path, "--out", _dir.File("dua.html"));
        (int md, _, _) = await Agreement("render", kit.Path, "--out", _dir.File("dua.md"));
        (int pdf, _, string pdfError) = await Agreement("render", kit.Path, "--out", _dir.File("dua.pdf"));

        Assert.Equal(0, html);
        Assert.Contains("<td>2. Purpose</td>", await File.ReadAllTextAsync(_dir.File("dua.html"), Cancel), StringComparison.Ordinal);
        Assert.Equal(0, md);
        string markdown = await File.ReadAllTextAsync(_dir.File("dua.md"), Cancel);
        Assert.Contains("No row-level data leaves any member.", markdown, StringComparison.Ordinal);
        Assert.Contains("The quorum of signatures is reached.", markdown, StringComparison.Ordinal);
        Assert.Equal(2, pdf);
        Assert.Contains("expected a file ending in .html, .htm or .md", pdfError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_WritesASitePolicyThatNamesTheAgreement()
    {
        using AgreementKit kit = new(_dir.Path);
        string output = Path.Combine(_dir.Path, "cleveland", "policy.yaml");

        (int exit, _, string error) = await Agreement("policy", kit.Path, "--site", "cleveland", "--out", output);
        (int stranger, _, string strangerError) = await Agreement("policy", kit.Path, "--site", "pharma", "--out", _dir.File("p.yaml"));

        Assert.True(exit == 0, error);
        SitePolicy policy = SitePolicyLoader.Load(output);
        Assert.Equal(kit.Path, policy.Agreement!.File);
        Assert.Equal(AgreementSignatures.DefaultPath(kit.Path), policy.Agreement.Signatures);
        Assert.Contains("../cardiology-agreement.yaml", await File.ReadAllTextAsync(output, Cancel), StringComparison.Ordinal);
        Assert.Equal(2, stranger);
        Assert.Contains("not a member", strangerError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyCheck_WithAGeneratedPolicy_ReportsThePolicyAndTheAgreementAsTheSiteDecides()
    {
        using AgreementKit kit = new(_dir.Path);
        kit.Sign();
        string policy = _dir.File("policy.yaml");
        Assert.Equal(0, (await Agreement("policy", kit.Path, "--site", "cleveland", "--out", policy)).Exit);
        string shipped = RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml");
        string offPurpose = _dir.File("off-purpose.yaml");
        await File.WriteAllTextAsync(offPurpose, (await File.ReadAllTextAsync(shipped, Cancel))
            .Replace("purpose: cardiovascular-risk-prediction", "purpose: insurance-pricing", StringComparison.Ordinal)
            .Replace("../../data/fed-heart-disease", RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("../policies/", RepositoryPaths.Combine("examples", "policies") + "/", StringComparison.Ordinal), Cancel);

        (int accepted, string acceptedOutput, _) = await CliRunner.RunAsync("policy", "check", "--policy", policy, "--at", "2027-03-01T12:00:00Z", shipped);
        (int refused, string refusedOutput, _) = await CliRunner.RunAsync("policy", "check", "--policy", policy, "--at", "2027-03-01T12:00:00Z", offPurpose);

        Assert.Equal(0, accepted);
        Assert.Contains("pass  agreement-purpose", acceptedOutput, StringComparison.Ordinal);
        Assert.Equal(1, refused);
        Assert.Contains("Decision: REFUSED (1 rule(s) failed: agreement-purpose)", refusedOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("purpose: cardiovascular-risk-prediction", "purpose: cardiovascular-risk-prediction", null)]
    [InlineData("purpose: cardiovascular-risk-prediction", "purpose: insurance-pricing", AgreementRules.Purpose)]
    [InlineData("  kind: fedavg ", "  kind: median ", AgreementRules.Strategy)]
    public async Task Simulate_SitesEnforcingTheSignedCardiologyAgreement_RunTheShippedJobAndRefuseAModifiedOneByClause(string from, string to, string? clause)
    {
        using AgreementKit kit = new(_dir.Path);
        // The simulation reads the wall clock: an agreement valid for ever keeps the test independent of the date.
        kit.Edit("  from: 2026-01-01\n  until: 2028-12-31", "  from: 2000-01-01\n  until: 9999-12-31");
        kit.Sign();
        string policy = _dir.File("policy.yaml");
        Assert.Equal(0, (await Agreement("policy", kit.Path, "--site", "cleveland", "--out", policy)).Exit);
        // The site's own policy is looser than the agreement (it also allows median): the agreement still holds.
        await File.WriteAllTextAsync(policy, (await File.ReadAllTextAsync(policy, Cancel)).Replace("strategies: [", "strategies: [\"median\", ", StringComparison.Ordinal), Cancel);
        string job = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml"), Cancel))
            .Replace(from, to, StringComparison.Ordinal)
            .Replace("path: ../../data/fed-heart-disease", "path: " + RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("default: ../policies/heart-disease-research.yaml", "default: policy.yaml", StringComparison.Ordinal);
        await File.WriteAllTextAsync(_dir.File("job.yaml"), job, Cancel);

        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", _dir.File("job.yaml"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement first = json.RootElement.GetProperty("rounds")[0];
        if (clause is null)
        {
            Assert.All(json.RootElement.GetProperty("rounds").EnumerateArray(), r => Assert.True(r.GetProperty("aggregated").GetBoolean()));
        }
        else
        {
            Assert.False(first.GetProperty("aggregated").GetBoolean());
            Assert.Equal(4, first.GetProperty("problems").GetArrayLength());
            Assert.All(first.GetProperty("problems").EnumerateArray(), p => Assert.StartsWith($"refused ({clause})", p.GetProperty("outcome").GetString(), StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TheAgreementCommandIsRegistered()
    {
        (int exit, string output, _) = await CliRunner.RunAsync("agreement", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("render", output, StringComparison.Ordinal);
    }
}
