namespace Consortia.Yaml.Tests;

/// <summary>The error factory of these tests: the located message in an <see cref="InvalidDataException"/>.</summary>
internal static class LocatedErrors
{
    public static readonly YamlErrorFactory Factory = (file, line, column, field, problem) =>
        new InvalidDataException(YamlText.FormatError(file, line, column, field, problem));
}
