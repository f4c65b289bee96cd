using Consortia.Data.Contracts;

namespace Consortia.Data.Tests.Contracts;

public sealed class ContractValidatorTests
{
    private static readonly DataContract s_contract = DataContract.Parse(
        """
        name: patients
        missing: ["NA"]
        columns:
          - name: pid
            type: text
            role: id
            pattern: "P[0-9]{3}"
          - name: site
            type: categorical
            role: site
            levels: [north, south]
          - name: age
            type: integer
            min: 0
            max: 120
          - name: weight
            type: number
            min: 1
            allowMissing: true
          - name: smoker
            type: binary
          - name: stage
            type: categorical
            levels: [I, II, III]
          - name: outcome
            type: binary
            role: target
        """,
        "patients.yaml");

    private const string Header = "pid,site,age,weight,smoker,stage,outcome";

    [Fact]
    public void Validate_CleanFile_NoProblemsAndTypedValues()
    {
        ContractValidationResult result = Check(Header, "P001,north,63,80.5,1,II,0", "P002,south,70.0,NA,0,I,1");

        Assert.True(result.IsValid);
        ValidatedTable table = result.ThrowIfInvalid();
        Assert.Equal(2, table.RowCount);
        Assert.Equal([2, 3], [table.Line(0), table.Line(1)]);
        Assert.Equal(70.0, table.GetNumber(1, 2));
        Assert.True(table.IsMissing(1, 3));
        Assert.Equal(1, table.GetLevel(0, 5));
        Assert.Equal("south", table.GetText(1, 1));
        Assert.Equal("P001", table.GetText(0, 0));
    }

    [Fact]
    public void Validate_ColumnsInAnotherOrder_MatchedByName()
    {
        ContractValidationResult result = Check("outcome,stage,smoker,weight,age,site,pid", "1,III,0,70,44,north,P003");

        Assert.True(result.IsValid);
        Assert.Equal(44.0, result.Table.GetNumber(0, 2));
    }

    [Fact]
    public void Validate_UnknownAndMissingColumns_ReportedOnHeaderLine()
    {
        ContractValidationResult result = Check("pid,site,age,weight,Smoker,stage,outcome,notes", "P001,north,63,80,1,II,0,hello");

        Assert.Contains(result.Problems, p => p.Line == 1 && p.Column == "Smoker" && p.Message.Contains("did you mean 'smoker'", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Line == 1 && p.Column == "notes" && p.Message.Contains("not in data contract", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Line == 1 && p.Column == "smoker" && p.Message.Contains("missing from the header", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EveryKindOfBadValue_AllReportedWithLineColumnAndExpectation()
    {
        ContractValidationResult result = Check(
            Header,
            "P001,north,63.5,80,1,II,0",     // line 2: age not whole
            "P002,east,63,80,1,II,0",        // line 3: unknown site level
            "P003,north,130,80,1,II,0",      // line 4: age above max
            "P004,north,63,NaN,1,II,0",      // line 5: NaN
            "P005,north,63,Infinity,1,II,0", // line 6: infinity
            "P006,north,63,80,2,II,0",       // line 7: binary not 0/1
            "P007,north,63,80,1,IV,0",       // line 8: unknown level
            "P008,north,sixty,80,1,II,0",    // line 9: not a number
            "P009,north,NA,80,1,II,0",       // line 10: missing not allowed
            "P010,north,63,80,1,II,",        // line 11: empty target
            "X011,north,63,80,1,II,0",       // line 12: pattern
            "P001,north,63,80,1,II,0",       // line 13: duplicate id
            "P013,north,63,80,1,II");        // line 14: too few fields

        (int Line, string Column, string Fragment)[] expected =
        [
            (2, "age", "not a whole number; expected a whole number in [0, 120]"),
            (3, "site", "'east' is not a known level; expected one of north, south"),
            (4, "age", "130 is above the maximum 120"),
            (5, "weight", "not a finite number"),
            (6, "weight", "not a finite number"),
            (7, "smoker", "'2' is not 0 or 1"),
            (8, "stage", "'IV' is not a known level; expected one of I, II, III"),
            (9, "age", "'sixty' is not a number"),
            (10, "age", "the value is missing ('NA')"),
            (11, "outcome", "the value is empty; expected 0 or 1"),
            (12, "pid", "does not match the pattern"),
            (13, "pid", "duplicate id (first seen on line 2)"),
            (14, string.Empty, "expected 7 fields, found 6"),
        ];
        Assert.Equal(expected.Length, result.Problems.Count);
        foreach ((int line, string column, string fragment) in expected)
        {
            Assert.Contains(result.Problems, p => p.File == "patients.csv" && p.Line == line && p.Column == column && p.Message.Contains(fragment, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_IdValues_NeverQuotedInMessages()
    {
        ContractValidationResult result = Check(Header, "SECRET-ID,north,63,80,1,II,0");

        DataProblem problem = Assert.Single(result.Problems);
        Assert.DoesNotContain("SECRET", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MalformedQuoting_ReportedWithLine()
    {
        ContractValidationResult result = Check(Header, "P001,north,63,80,1,II,0", "P002,\"north\"x,63,80,1,II,0");

        DataProblem problem = Assert.Single(result.Problems);
        Assert.Equal((3, string.Empty), (problem.Line, problem.Column));
        Assert.Contains("malformed quoting", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_QuotedFieldSpanningLines_LaterLinesKeepTheirNumbers()
    {
        DataContract contract = DataContract.Parse("name: notes\ncolumns:\n  - name: note\n    type: text\n    role: ignore\n  - name: x\n    type: number\n", "notes.yaml");

        ContractValidationResult result = ContractValidator.Validate(contract, new StringReader("note,x\n\"two\nlines\",1\nok,oops\n"), "notes.csv");

        DataProblem problem = Assert.Single(result.Problems);
        Assert.Equal((4, "x"), (problem.Line, problem.Column));
    }

    [Fact]
    public void Validate_EmptyFile_ReportsMissingHeader()
    {
        ContractValidationResult result = ContractValidator.Validate(s_contract, new StringReader(string.Empty), "empty.csv");

        Assert.Contains(result.Problems, p => p.Line == 1 && p.Message.Contains("expected a header", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_HeaderlessFile_ChecksByPosition()
    {
        DataContract contract = DataContract.Parse("name: raw\nheader: false\nmissing: ['?']\ncolumns:\n  - name: a\n    type: number\n  - name: b\n    type: binary\n    role: target\n", "raw.yaml");

        ContractValidationResult result = ContractValidator.Validate(contract, new StringReader("1.5,1\n?,0\n2,1,3\n"), "raw.data");

        Assert.Equal(2, result.Problems.Count);
        Assert.Contains(result.Problems, p => p.Line == 2 && p.Column == "a");
        Assert.Contains(result.Problems, p => p.Line == 3 && p.Message.Contains("expected 2 fields, found 3", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ManyProblems_AllCollectedAndExceptionListsFirst()
    {
        string[] rows = [.. Enumerable.Range(0, 50).Select(i => $"P{i:000},north,999,80,1,II,0")];

        ContractValidationResult result = Check(Header, rows);
        var error = Assert.Throws<DataValidationException>(() => result.ThrowIfInvalid());

        Assert.Equal(50, result.Problems.Count);
        Assert.Same(result.Problems, error.Problems);
        Assert.Contains("patients.csv:2 column 'age'", error.Message, StringComparison.Ordinal);
        Assert.Contains("and 30 more", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FileOnDisk_ProblemsNameThePath()
    {
        using var temp = new TempDirectory();
        string path = temp.Write("site.csv", Header + "\nP001,north,63,80,1,II,7\n");

        ContractValidationResult result = ContractValidator.Validate(s_contract, path);

        DataProblem problem = Assert.Single(result.Problems);
        Assert.Equal((path, 2, "outcome"), (problem.File, problem.Line, problem.Column));
        Assert.Equal($"{path}:2 column 'outcome': '7' is not 0 or 1; expected 0 or 1.", problem.ToString());
    }

    private static ContractValidationResult Check(string header, params string[] rows) =>
        ContractValidator.Validate(s_contract, new StringReader(string.Join("\n", [header, .. rows]) + "\n"), "patients.csv");
}
