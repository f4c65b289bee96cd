using Consortia.Governance.Agreements;
using Consortia.Governance.Policies;
using Consortia.TestKit;

namespace Consortia.Governance.Tests.Agreements;

public sealed class AgreementLoaderTests
{
    private static readonly string s_cardiology = File.ReadAllText(RepositoryPaths.Combine("examples", "virtual-consortia", "cardiology-agreement.yaml"));

    [Fact]
    public void Load_CardiologyExample_ReadsEveryClause()
    {
        ConsortiumAgreement a = AgreementLoader.Load(RepositoryPaths.Combine("examples", "virtual-consortia", "cardiology-agreement.yaml"));

        Assert.Equal("heart-consortium", a.Name);
        Assert.Equal(1, a.Version);
        Assert.Equal(["cardiovascular-risk-prediction"], a.Purpose.Codes);
        Assert.StartsWith("To develop and validate models", a.Purpose.Text, StringComparison.Ordinal);
        Assert.Equal(["cleveland", "hungarian", "switzerland", "va"], a.Members.Select(m => m.Site));
        Assert.Equal("Hungarian Institute of Cardiology", a.Members[1].Organisation);
        Assert.Contains("Art. 9(2)(j)", a.Members[1].LegalBasis.Gdpr, StringComparison.Ordinal);
        Assert.Contains("covered entity", a.Members[0].LegalBasis.Hipaa, StringComparison.Ordinal);
        Assert.Equal("EU-HU", a.Members[1].Jurisdiction);
        Assert.Equal(["demographics", "clinical-measurements", "diagnosis"], a.DataCategories.Select(c => c.Name));
        Assert.Equal(11, a.Columns.Count());
        Assert.Equal(["binary-classification"], a.Training.Tasks);
        Assert.Equal(["logistic", "mlp"], a.Training.Models);
        Assert.False(a.Protections.SecureAggregation);
        Assert.Equal(new AgreementDp(false, null, 8.0, 20.0, 1e-5), a.Protections.DifferentialPrivacy);
        Assert.Equal(["members"], a.Outputs.ModelRecipients);
        Assert.Equal(10, a.Outputs.MinCellCount);
        Assert.Equal(new AgreementValidity(new DateOnly(2026, 1, 1), new DateOnly(2028, 12, 31)), a.Validity);
        Assert.Equal(90, a.Exit.NoticeDays);
        Assert.Null(a.Quorum);
        Assert.Equal(4, a.RequiredSignatures);
    }

    [Fact]
    public void Load_OncologyExample_CoversEveryColumnOfTheShippedTcgaJobWithAQuorumOfFour()
    {
        ConsortiumAgreement a = AgreementLoader.Load(RepositoryPaths.Combine("examples", "virtual-consortia", "oncology-agreement.yaml"));
        string job = File.ReadAllText(RepositoryPaths.Combine("examples", "tcga-brca", "fedavg.yaml"));
        int jobColumns = job.Split('\n').Count(l => l.TrimStart().StartsWith("- \"", StringComparison.Ordinal));

        Assert.Equal("tcga-brca-consortium", a.Name);
        Assert.Equal(6, a.Members.Count);
        Assert.Equal(4, a.RequiredSignatures);
        Assert.Equal(["survival"], a.Training.Tasks);
        Assert.Equal(jobColumns, a.Columns.Count());
        Assert.Equal("Cleveland Clinic Foundation", a.FindMember("Midwest")!.Organisation);
    }

    [Theory]
    [InlineData("epsilon_per_job: 8.0", "epsilon_per_job: 30", "protections.differential_privacy.epsilon_per_job", "must not exceed epsilon_per_member_lifetime")]
    [InlineData("models: [logistic, mlp]", "models: [logistic, forest]", "training.models[1]", "unknown model kind 'forest'")]
    [InlineData("tasks: [binary-classification]", "tasks: [regression]", "training.tasks[0]", "expected one of: binary-classification, survival")]
    [InlineData("  from: 2026-01-01", "  from: 2026-13-01", "validity.from", "expected a date as YYYY-MM-DD")]
    [InlineData("  until: 2028-12-31", "  until: 2025-12-31", "validity.until", "must not be before from")]
    [InlineData("quorum: all", "quorum: 5", "quorum", "from 1 to 4")]
    [InlineData("  codes: [cardiovascular-risk-prediction]", "  code: [cardiovascular-risk-prediction]", "purpose.code", "unknown field; expected one of: text, codes")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000002", "not-a-key", "members[1].key", "fingerprint of the site's signing key")]
    [InlineData("    site: va", "    site: cleveland", "members[3].site", "listed twice")]
    [InlineData("  model_recipients: [members]", "  model_recipients: [pharma-co]", "outputs.model_recipients[0]", "a member's site")]
    [InlineData("  secure_aggregation: false", "  secure_aggregation: maybe", "protections.secure_aggregation", "expected true/false")]
    [InlineData("    required: false\n", "    required: false\n    mode: patient-level\n", "protections.differential_privacy.mode", "expected sample-level or client-level")]
    [InlineData("  codes: [cardiovascular-risk-prediction]", "  codes: [todo-purpose-code]", "purpose.codes[0]", "still holds the placeholder 'todo-purpose-code'")]
    [InlineData("    jurisdiction: EU-HU", "    jurisdiction: TODO e.g. EU-DE", "members[1].jurisdiction", "replace every TODO")]
    [InlineData("  min_cell_count: 10", "  min_cell_count: ToDo", "outputs.min_cell_count", "still holds the placeholder")]
    public void Parse_InvalidField_ErrorNamesTheLineTheFieldAndWhatWasExpected(string original, string replacement, string field, string expected)
    {
        Assert.Contains(original, s_cardiology, StringComparison.Ordinal);
        string broken = s_cardiology.Replace(original, replacement, StringComparison.Ordinal);
        long line = FirstChangedLine(s_cardiology, broken);

        AgreementFileException error = Assert.Throws<AgreementFileException>(() => AgreementLoader.Parse(broken, "agreement.yaml"));

        Assert.Equal(field, error.Field);
        Assert.Equal(line, error.Line);
        Assert.Contains(expected, error.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"agreement.yaml:{line}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingClause_NamesTheFieldAndWhatWasExpected()
    {
        int exit = s_cardiology.IndexOf("exit:", StringComparison.Ordinal);
        int quorum = s_cardiology.IndexOf("quorum:", StringComparison.Ordinal);
        string broken = s_cardiology[..exit] + s_cardiology[quorum..];

        AgreementFileException error = Assert.Throws<AgreementFileException>(() => AgreementLoader.Parse(broken, "agreement.yaml"));

        Assert.Equal("exit", error.Field);
        Assert.Contains("required field is missing; expected a mapping", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MemberWithoutLegalBasis_IsRefused()
    {
        string broken = s_cardiology.Replace("    legal_basis:\n      hipaa: covered entity; research use", "    legal_basis:\n      none: covered entity; research use", StringComparison.Ordinal);

        AgreementFileException error = Assert.Throws<AgreementFileException>(() => AgreementLoader.Parse(broken, "agreement.yaml"));

        Assert.Equal("members[3].legal_basis.none", error.Field);
    }

    [Fact]
    public void Load_MissingFile_NamesIt()
    {
        AgreementFileException error = Assert.Throws<AgreementFileException>(() => AgreementLoader.Load("/nonexistent/agreement.yaml"));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The 1-based number of the first line that differs: where the error must point.</summary>
    private static long FirstChangedLine(string before, string after)
    {
        string[] a = before.Split('\n');
        string[] b = after.Split('\n');
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i + 1;
    }
}
