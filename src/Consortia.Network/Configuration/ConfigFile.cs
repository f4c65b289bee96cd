using System.Globalization;
using Consortia.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Consortia.Network.Configuration;

/// <summary>A configuration file that cannot be used, with the file, line and field at fault.</summary>
public sealed class ConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConfigurationException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ConfigurationException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ConfigurationException()
    {
    }
}

/// <summary>Reads the hosts' YAML configuration files (snake_case keys; unknown keys are errors).</summary>
/// <remarks>Typed deserialisation suits these flat host files; errors use the message form of every YAML reader (<see cref="YamlText.FormatError"/>).</remarks>
internal static class ConfigFile
{
    private static readonly IDeserializer s_yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    /// <summary>Reads <paramref name="path"/> into <typeparamref name="T"/>; paths in it are resolved against its folder.</summary>
    public static T Load<T>(string path)
        where T : class
    {
        if (!File.Exists(path))
        {
            throw new ConfigurationException($"{path}: no such file.");
        }

        try
        {
            return s_yaml.Deserialize<T>(File.ReadAllText(path)) ?? throw new ConfigurationException($"{path}: the file is empty.");
        }
        catch (YamlException e)
        {
            string detail = e.InnerException?.Message ?? e.Message;
            throw new ConfigurationException(YamlText.FormatError(path, e.Start.Line, e.Start.Column, string.Empty, detail), e);
        }
    }

    /// <summary>
    /// <c>FILE:LINE</c> of a field (<c>["store", "kind"]</c>), or of the nearest parent present (a list item by its index, <c>["consortia", "1", "name"]</c>), or <c>FILE</c> alone:
    /// for checks that run after deserialisation, which keeps no line numbers.
    /// </summary>
    public static string Where(string path, IReadOnlyList<string> keys)
    {
        try
        {
            // The one YAML reader (Consortia.Yaml) gives the nodes with their lines; an unreadable file has no line to name.
            YamlNode? node = YamlText.LoadMapping(path, File.ReadAllText(path), static (file, line, column, field, problem) => new InvalidDataException(problem));
            long? line = null;
            foreach (string key in keys)
            {
                // A list item is named by its index (["consortia", "1", "name"]).
                if (node is YamlSequenceNode list && int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < list.Children.Count)
                {
                    node = list.Children[index];
                    line = node.Start.Line;
                    continue;
                }

                if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? child))
                {
                    break;
                }

                line = mapping.Children.Keys.First(k => k is YamlScalarNode s && s.Value == key).Start.Line;
                node = child;
            }

            return line is { } found ? string.Create(CultureInfo.InvariantCulture, $"{path}:{found}") : path;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return path;
        }
    }

    /// <summary>A path from the file, made absolute against the file's folder.</summary>
    public static string Resolve(string configPath, string value) =>
        Path.GetFullPath(value, Path.GetDirectoryName(Path.GetFullPath(configPath)) ?? ".");

    /// <summary>A duration such as <c>300s</c>, <c>5m</c>, <c>24h</c> or <c>1d</c>.</summary>
    public static TimeSpan Duration(string text, string field)
    {
        if (text.Length >= 2 && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0 && double.IsFinite(value))
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(value);
                case 'm': return TimeSpan.FromMinutes(value);
                case 'h': return TimeSpan.FromHours(value);
                case 'd': return TimeSpan.FromDays(value);
            }
        }

        throw new ConfigurationException($"{field}: expected a positive duration such as 30s, 5m, 24h or 7d, got '{text}'.");
    }

    /// <summary>Splits <c>host:port</c>.</summary>
    public static (string Host, int Port) Endpoint(string text, string field)
    {
        int colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and < 65536)
        {
            return (text[..colon], port);
        }

        throw new ConfigurationException($"{field}: expected host:port (e.g. 0.0.0.0:7443), got '{text}'.");
    }
}
