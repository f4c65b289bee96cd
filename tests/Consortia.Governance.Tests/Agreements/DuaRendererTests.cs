using Consortia.Governance.Agreements;
using Consortia.TestKit;

namespace Consortia.Governance.Tests.Agreements;

public sealed class DuaRendererTests : IDisposable
{
    private readonly Support.TempDirectory _dir = new();
    private readonly AgreementKit _kit;

    public DuaRendererTests() => _kit = new AgreementKit(_dir.Path);

    public void Dispose()
    {
        _kit.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Clauses_EveryClauseNamesItsControl_AndEveryAgreementRuleIsSomeClausesControl()
    {
        IReadOnlyList<DuaClause> clauses = DuaRenderer.Clauses(_kit.Agreement);
        string[] rules = [.. typeof(AgreementRules).GetFields().Select(f => (string)f.GetValue(null)!)];

        Assert.Equal(["Parties", "Purpose", "No transfer of data", "Data categories", "Permitted training", "Minimum protections", "Differential privacy", "Outputs and publication", "Term", "Signature and entry into force", "Exit"], clauses.Select(c => c.Title));
        Assert.All(clauses, c => Assert.False(string.IsNullOrWhiteSpace(c.Controls)));
        Assert.All(rules, rule => Assert.Contains(clauses, c => c.Controls.Contains($"`{rule}`", StringComparison.Ordinal)));
    }

    [Fact]
    public void Markdown_HoldsTheNoTransferStatement_TheClausesTheTableAndTheSignatures()
    {
        ConsortiumAgreement a = _kit.Agreement;
        string md = DuaRenderer.Markdown(a, _kit.Sign("cleveland", "va").Status());

        Assert.Contains("No row-level data leaves any member.", md, StringComparison.Ordinal);
        Assert.Contains("| Clause | Enforced by |", md, StringComparison.Ordinal);
        Assert.Contains("| 2. Purpose | AgreementGuard at each site: `agreement-purpose`", md, StringComparison.Ordinal);
        Assert.Contains("To develop and validate models that predict the presence of coronary artery disease", md, StringComparison.Ordinal);
        Assert.All(a.Members, m => Assert.Contains(m.Organisation, md, StringComparison.Ordinal));
        Assert.Contains("A job spends at most ε = 8 at a member", md, StringComparison.Ordinal);
        Assert.Contains("No number computed over fewer than 10 records is released.", md, StringComparison.Ordinal);
        Assert.Contains("valid from 2026-01-01 to 2028-12-31", md, StringComparison.Ordinal);
        Assert.Contains(a.Sha256, md, StringComparison.Ordinal);
        Assert.Contains("Signed by VA Medical Center Long Beach (site 'va').", md, StringComparison.Ordinal);
        Assert.Contains("Not yet signed by Hungarian Institute of Cardiology", md, StringComparison.Ordinal);
        Assert.Contains("NOT reached", md, StringComparison.Ordinal);
        Assert.Contains("it is not legal advice", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_EscapesTheAgreementsText_AndMarksRulesAsCode()
    {
        _kit.Edit("organisation: VA Medical Center Long Beach", "organisation: \"VA <Long Beach> & Co\"");

        string html = DuaRenderer.Html(_kit.Agreement, null);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("VA &lt;Long Beach&gt; &amp; Co", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<Long Beach>", html, StringComparison.Ordinal);
        Assert.Contains("<code>agreement-validity</code>", html, StringComparison.Ordinal);
        Assert.Contains("<p class=\"statement\">No row-level data leaves any member.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<h2>Signatures</h2>", html, StringComparison.Ordinal);
    }
}
