using Consortia.Data.Contracts;

namespace Consortia.Data.Tests.Contracts;

public sealed class DataContractTests
{
    private const string Valid = """
        name: example
        header: true
        missing: ["NA", "?"]
        columns:
          - name: site
            type: text
            role: site
          - name: age
            type: number
            min: 0
            max: 120
          - name: cp
            type: categorical
            levels: [1, 2, 3]
          - name: label
            type: binary
            role: target
        """;

    [Theory]
    [InlineData("heart-disease-uci.yaml", 14, LearningTask.BinaryClassification)]
    [InlineData("heart-disease-sites.yaml", 12, LearningTask.BinaryClassification)]
    [InlineData("heart-disease-flamby-split.yaml", 5, LearningTask.BinaryClassification)]
    [InlineData("tcga-brca.yaml", 42, LearningTask.Survival)]
    [InlineData("tcga-brca-centers.yaml", 5, LearningTask.BinaryClassification)]
    [InlineData("tcga-brca-split.yaml", 3, LearningTask.BinaryClassification)]
    public void Load_ShippedContract_Loads(string file, int columns, LearningTask task)
    {
        DataContract contract = DataContract.Load(RepositoryRoot.Combine("data", "contracts", file));

        Assert.Equal(columns, contract.Columns.Count);
        Assert.Equal(task, contract.Task);
        Assert.EndsWith(file, contract.SourceFile, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValidContract_ReadsEveryField()
    {
        DataContract contract = DataContract.Parse(Valid, "example.yaml");

        Assert.Equal("example", contract.Name);
        Assert.True(contract.HasHeader);
        Assert.Equal(["NA", "?"], contract.MissingMarkers);
        ColumnContract age = contract.FindColumn("age")!;
        Assert.Equal((ColumnType.Number, ColumnRole.Feature, 0.0, 120.0), (age.Type, age.Role, age.Min!.Value, age.Max!.Value));
        Assert.Equal(["1", "2", "3"], contract.FindColumn("cp")!.Levels);
        Assert.Equal(ColumnRole.Site, contract.FindRole(ColumnRole.Site)!.Role);
        Assert.Equal(8, age.SourceLine);
    }

    [Fact]
    public void Parse_CategoricalTarget_PositiveLevelsMapToOne()
    {
        DataContract contract = DataContract.Load(RepositoryRoot.Combine("data", "contracts", "heart-disease-uci.yaml"));
        ColumnContract num = contract.FindRole(ColumnRole.Target)!;

        Assert.Equal([false, true, true, true, true], Enumerable.Range(0, 5).Select(num.IsPositiveLevel));
    }

    [Theory]
    [InlineData("columns:\n  - name: a\n    type: number\n", 1, "name")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: numbr\n", 4, "columns[0] (a).type")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: number\n    colour: red\n", 5, "columns[0].colour")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: number\n    min: 5\n    max: 1\n", 3, "columns[0] (a).max")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: number\n    min: lots\n", 5, "columns[0] (a).min")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: categorical\n", 3, "columns[0] (a).levels")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: binary\n    levels: [0, 1]\n", 3, "columns[0] (a).levels")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: number\n  - name: A\n    type: number\n", 5, "columns[1] (A).name")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: number\n    role: target\n", 3, "columns[0] (a).role")]
    [InlineData("name: x\ncolumns:\n  - name: t\n    type: number\n    role: time\n", 3, "columns[0] (t).role")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: binary\n    role: target\n  - name: b\n    type: binary\n    role: target\n", 6, "columns[1] (b).role")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: text\n    pattern: \"([a-z\"\n", 3, "columns[0] (a).pattern")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: categorical\n    role: target\n    levels: [x, y, z]\n", 3, "columns[0] (a).positive")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: number\n    allowMissing: maybe\n", 5, "columns[0] (a).allowMissing")]
    [InlineData("name: x\ncolumns: nothing\n", 2, "columns")]
    [InlineData("name: x\ncolumns:\n  - name: a\n    type: number\n    role: site\n", 3, "columns[0] (a).role")]
    public void Parse_BrokenContract_NamesLineAndField(string yaml, int line, string field)
    {
        DataConfigurationException error = Assert.Throws<DataConfigurationException>(() => DataContract.Parse(yaml, "bad.yaml"));

        Assert.Equal("bad.yaml", error.File);
        Assert.Equal(line, error.Line);
        Assert.Equal(field, error.Field);
        Assert.StartsWith($"bad.yaml:{line}: '{field}': ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotYaml_ReportsLine()
    {
        DataConfigurationException error = Assert.Throws<DataConfigurationException>(() => DataContract.Parse("name: x\ncolumns: [a, b\n  c: : d\n", "bad.yaml"));

        Assert.Equal("yaml", error.Field);
        Assert.Contains("not valid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_ThrowsConfigurationError()
    {
        using var temp = new TempDirectory();
        string path = Path.Combine(temp.Path, "absent.yaml");

        DataConfigurationException error = Assert.Throws<DataConfigurationException>(() => DataContract.Load(path));

        Assert.Equal(path, error.File);
    }

    [Fact]
    public void Load_HugeFile_RefusedBeforeParsing()
    {
        using var temp = new TempDirectory();
        string path = temp.Write("huge.yaml", "name: x\n# " + new string('x', DataContract.MaxFileBytes) + "\n");

        DataConfigurationException error = Assert.Throws<DataConfigurationException>(() => DataContract.Load(path));

        Assert.Contains("at most", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ContractBuiltInCode_ChecksRules()
    {
        var contract = new DataContract
        {
            Name = "coded",
            Columns = [new ColumnContract { Name = "e", Type = ColumnType.Number, Role = ColumnRole.Event }],
        };

        DataConfigurationException error = Assert.Throws<DataConfigurationException>(contract.Validate);

        Assert.Equal("columns[0] (e).role", error.Field);
        Assert.Null(error.Line);
    }
}
