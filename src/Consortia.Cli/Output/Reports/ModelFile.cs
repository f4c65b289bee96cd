using System.Text.Json;
using Consortia.Learning;

namespace Consortia.Cli.Output.Reports;

/// <summary>Reads the two JSON model files Consortia writes: <c>simulate --out</c>'s model.json and <c>job model</c>'s download.</summary>
internal static class ModelFile
{
    /// <summary>The parameters and what the file says about them (job, round, hash) for the ONNX metadata.</summary>
    /// <exception cref="FormatException">The file is not one of the two formats; the message names the file and the field.</exception>
    public static (ParameterVector Parameters, IReadOnlyList<KeyValuePair<string, string>> Metadata) Read(string path)
    {
        try
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out JsonElement format) || format.GetString() != "consortia-model/1")
            {
                throw new FormatException($"{path}: expected \"format\": \"consortia-model/1\" (a model.json from `simulate --out` or `job model`).");
            }

            List<(string, int[])> segments = [];
            List<float> values = [];
            if (root.TryGetProperty("segments", out JsonElement inline))
            {
                foreach (JsonElement s in inline.EnumerateArray())
                {
                    segments.Add((s.GetProperty("name").GetString() ?? "", [.. s.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())]));
                    values.AddRange(s.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()));
                }
            }
            else
            {
                foreach (JsonElement s in root.GetProperty("layout").EnumerateArray())
                {
                    segments.Add((s.GetProperty("name").GetString() ?? "", [.. s.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())]));
                }

                values.AddRange(root.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()));
            }

            List<KeyValuePair<string, string>> metadata = [];
            foreach (string key in new[] { "job", "runId", "round", "sha256" })
            {
                if (root.TryGetProperty(key, out JsonElement v))
                {
                    metadata.Add(new(key, v.ToString()));
                }
            }

            ParameterLayout layout = ParameterLayout.Create([.. segments]);
            return (new ParameterVector(layout, values.ToArray()), metadata);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"{path}: not a readable Consortia model file: {e.Message}", e);
        }
    }
}
