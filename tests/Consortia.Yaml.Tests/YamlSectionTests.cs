using YamlDotNet.RepresentationModel;

namespace Consortia.Yaml.Tests;

public sealed class YamlSectionTests
{
    private static readonly YamlErrorFactory s_error = LocatedErrors.Factory;

    [Fact]
    public void RejectUnreadKeys_KeyNoGetterAskedFor_IsNamedAtItsKey()
    {
        YamlSection root = YamlSection.LoadRoot("j.yaml", "training:\n  rounds: 3\n  roundz: 4\n", s_error);
        YamlSection training = root.RequireSection("training");
        Assert.Equal(3, training.WholeNumber("rounds", 1));

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => training.RejectUnreadKeys("is not a known field here."));

        Assert.Equal("j.yaml:3:3: training.roundz: is not a known field here.", error.Message);
    }

    [Fact]
    public void RejectUnreadKeys_EveryKeyRead_Passes()
    {
        YamlSection root = YamlSection.LoadRoot("j.yaml", "name: x\nseed: 7\nempty:\n", s_error);

        Assert.Equal("x", root.RequireValue("name"));
        Assert.Equal(7UL, root.LargeWholeNumber("seed"));
        Assert.Equal(string.Empty, root.Value("empty"));
        root.RejectUnreadKeys("unknown");
    }

    [Theory]
    [InlineData("n: four\n", "j.yaml:1:4: n: expected an integer ≥ 1, got 'four'.")]
    [InlineData("n: 0\n", "j.yaml:1:4: n: expected an integer ≥ 1, got '0'.")]
    [InlineData("n: [1]\n", "j.yaml:1:4: n: expected a single value.")]
    public void WholeNumber_BadValue_NamesLineFieldAndExpectation(string text, string expected)
    {
        YamlSection root = YamlSection.LoadRoot("j.yaml", text, s_error);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => root.WholeNumber("n", 1));

        Assert.Equal(expected, error.Message);
    }

    [Theory]
    [InlineData("x: 0\n", "j.yaml:1:4: x: expected a number in (0, 1], got 0.")]
    [InlineData("x: 1.5\n", "j.yaml:1:4: x: expected a number in (0, 1], got 1.5.")]
    [InlineData("x: .nan\n", "j.yaml:1:4: x: expected a finite number, got '.nan'.")]
    public void RealNumber_OutOfRange_NamesTheRange(string text, string expected)
    {
        YamlSection root = YamlSection.LoadRoot("j.yaml", text, s_error);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => root.RealNumber("x", 0, 1, minExclusive: true));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void Bool_AndEnumAndList_ReadTheirValues()
    {
        YamlSection root = YamlSection.LoadRoot("j.yaml", "on: yes\nkind: b\nitems: [p, q]\n", s_error);
        Dictionary<string, int> names = new(StringComparer.Ordinal) { ["a"] = 1, ["b"] = 2 };

        Assert.True(root.Bool("on"));
        Assert.Equal(2, root.Enum("kind", names));
        Assert.Equal(["p", "q"], root.List("items")!.Select(i => i.Value));
        Assert.Null(root.Bool("absent"));
    }

    [Fact]
    public void MappingError_PointsAtTheMapping_KeyNodeAtTheKey()
    {
        YamlSection root = YamlSection.LoadRoot("c.yaml", "name: x\ncolumns:\n  - name: a\n    colour: red\n", s_error);
        YamlSequenceNode columns = (YamlSequenceNode)root.Node("columns")!;
        YamlSection column = root.AsSection(columns.Children[0], "columns[0]")!;

        Assert.Equal(3, column.Line);
        Assert.Equal("c.yaml:3:5: columns[0] (a).type: this key is required.", column.MappingError("columns[0] (a).type", "this key is required.").Message);
        Assert.Equal(4, column.KeyNode("colour")!.Start.Line);
        Assert.Null(root.AsSection(root.Node("name")!, "name"));
    }
}
