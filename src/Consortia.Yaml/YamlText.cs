using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Consortia.Yaml;

/// <summary>
/// The one place YAML text is parsed into nodes: size limit, one document, a mapping at the top, and parse errors
/// reported through the caller's exception type with the file, line and column.
/// </summary>
public static class YamlText
{
    /// <summary>Files larger than this are refused before parsing (policy, job, contract and host files are a few kilobytes).</summary>
    public const int MaxFileChars = 1 << 20;

    /// <summary>Parses <paramref name="text"/>, which must hold one document with a mapping at the top.</summary>
    /// <param name="filePath">The file, named in errors.</param>
    /// <param name="text">The YAML text.</param>
    /// <param name="error">Creates the caller's exception for a located problem.</param>
    /// <returns>The root mapping; its nodes carry their line and column.</returns>
    public static YamlMappingNode LoadMapping(string filePath, string text, YamlErrorFactory error)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(error);
        YamlStream stream = Load(filePath, text, error);
        if (stream.Documents.Count == 0)
        {
            throw error(filePath, null, null, string.Empty, "the file is empty; expected a mapping of fields");
        }

        if (stream.Documents.Count > 1)
        {
            throw error(filePath, stream.Documents[1].RootNode.Start.Line, stream.Documents[1].RootNode.Start.Column, string.Empty, "expected a single YAML document");
        }

        YamlNode root = stream.Documents[0].RootNode;
        return root as YamlMappingNode
            ?? throw error(filePath, root.Start.Line, root.Start.Column, string.Empty, "expected a mapping of fields at the top level");
    }

    /// <summary>Rewrites a mapping document: parses it, lets <paramref name="edit"/> change the tree, and writes it back.</summary>
    /// <param name="filePath">The file, named in errors.</param>
    /// <param name="text">The YAML text.</param>
    /// <param name="error">Creates the caller's exception for a located problem.</param>
    /// <param name="edit">Changes the root mapping in place.</param>
    /// <returns>The edited YAML text.</returns>
    public static string Edit(string filePath, string text, YamlErrorFactory error, Action<YamlMappingNode> edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        YamlMappingNode root = LoadMapping(filePath, text, error);
        edit(root);
        YamlStream stream = new(new YamlDocument(root));
        using StringWriter writer = new(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    /// <summary>The message of a located problem: <c>file:line:column: field: problem</c> (parts that are unknown left out).</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="line">The 1-based line, or <see langword="null"/> (or 0) when unknown.</param>
    /// <param name="column">The 1-based column, or <see langword="null"/> when unknown.</param>
    /// <param name="field">The dotted field path (empty for the whole file).</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    /// <returns>The message.</returns>
    public static string FormatError(string filePath, long? line, long? column, string field, string problem)
    {
        string location = line is > 0 and { } l
            ? string.Create(CultureInfo.InvariantCulture, $"{filePath}:{l}:{(column is > 0 and { } c ? c : 1)}")
            : filePath;
        return string.IsNullOrEmpty(field) ? $"{location}: {problem}" : $"{location}: {field}: {problem}";
    }

    private static YamlStream Load(string filePath, string text, YamlErrorFactory error)
    {
        if (text.Length > MaxFileChars)
        {
            throw error(filePath, null, null, string.Empty, $"the file is larger than {MaxFileChars} characters");
        }

        YamlStream stream = new();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException yaml)
        {
            throw error(filePath, yaml.Start.Line, yaml.Start.Column, string.Empty, $"not valid YAML: {yaml.Message}");
        }
        catch (Exception other) when (other is InvalidOperationException or ArgumentException or FormatException or NotSupportedException)
        {
            // The scanner reports some malformed inputs with general exceptions; they are still bad input, not bugs.
            throw error(filePath, null, null, string.Empty, $"not valid YAML: {other.Message}");
        }

        return stream;
    }
}
