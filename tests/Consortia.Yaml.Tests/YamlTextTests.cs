using YamlDotNet.RepresentationModel;

namespace Consortia.Yaml.Tests;

public sealed class YamlTextTests
{
    private static readonly YamlErrorFactory s_error = LocatedErrors.Factory;

    [Fact]
    public void LoadMapping_Mapping_ReturnsRootWithLines()
    {
        YamlMappingNode root = YamlText.LoadMapping("a.yaml", "name: x\nrounds: 3\n", s_error);

        Assert.Equal(2, root.Children.Count);
        Assert.Equal(2, root.Children[new YamlScalarNode("rounds")].Start.Line);
    }

    [Theory]
    [InlineData("name: [x\n", "a.yaml:2:1: not valid YAML")]
    [InlineData("", "a.yaml: the file is empty")]
    [InlineData("a: 1\n---\nb: 2\n", "a.yaml:3:1: expected a single YAML document")]
    [InlineData("- a\n- b\n", "a.yaml:1:1: expected a mapping of fields at the top level")]
    public void LoadMapping_BadText_NamesFileLineAndColumn(string text, string expected)
    {
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => YamlText.LoadMapping("a.yaml", text, s_error));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadMapping_OversizedText_RefusedBeforeParsing()
    {
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => YamlText.LoadMapping("a.yaml", new string('#', YamlText.MaxFileChars + 1), s_error));

        Assert.Contains("larger than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Edit_ChangesTheTreeAndWritesItBack()
    {
        string edited = YamlText.Edit("a.yaml", "name: x\n", s_error, root => root.Children[new YamlScalarNode("seed")] = new YamlScalarNode("7"));

        YamlMappingNode again = YamlText.LoadMapping("a.yaml", edited, s_error);
        Assert.Equal("7", ((YamlScalarNode)again.Children[new YamlScalarNode("seed")]).Value);
        Assert.Equal("x", ((YamlScalarNode)again.Children[new YamlScalarNode("name")]).Value);
    }

    [Theory]
    [InlineData(3L, 5L, "f.g", "f.yaml:3:5: f.g: bad")]
    [InlineData(null, null, "", "f.yaml: bad")]
    [InlineData(0L, 0L, "f", "f.yaml: f: bad")]
    public void FormatError_NamesWhatIsKnown(long? line, long? column, string field, string expected) =>
        Assert.Equal(expected, YamlText.FormatError("f.yaml", line, column, field, "bad"));

    [Fact]
    public void Section_UnknownKeyAndWrongType_NameTheField()
    {
        YamlSection root = YamlSection.LoadRoot("p.yaml", "a:\n  n: x\n  typo: 1\n", s_error);
        YamlSection a = root.RequiredSection("a");

        InvalidDataException wrongType = Assert.Throws<InvalidDataException>(() => a.OptionalInteger("n", 0, 10));
        InvalidDataException unknown = Assert.Throws<InvalidDataException>(() => a.RejectUnknownKeys("n"));

        Assert.StartsWith("p.yaml:2:6: a.n: expected an integer", wrongType.Message, StringComparison.Ordinal);
        Assert.StartsWith("p.yaml:3:3: a.typo: unknown field", unknown.Message, StringComparison.Ordinal);
    }
}
