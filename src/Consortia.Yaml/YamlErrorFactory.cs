namespace Consortia.Yaml;

/// <summary>Creates the reader's own exception type (e.g. a policy or job file error) from a located problem.</summary>
/// <param name="filePath">The file being read.</param>
/// <param name="line">The 1-based line of the offending node, or <see langword="null"/> when unknown.</param>
/// <param name="column">The 1-based column of the offending node, or <see langword="null"/> when unknown.</param>
/// <param name="field">The dotted path of the offending field (empty for the whole document).</param>
/// <param name="problem">What is wrong and what was expected.</param>
/// <returns>The exception to throw.</returns>
public delegate Exception YamlErrorFactory(string filePath, long? line, long? column, string field, string problem);
