using System.Text;
using System.Text.Json;
using Consortia.Network.Coordinator;

namespace Consortia.Cli.Commands;

/// <summary>The JSON form of a downloaded model (<c>consortia job model</c>); documented in docs/operations.md.</summary>
internal static class ModelJson
{
    /// <summary>The format tag written first, so readers can tell versions apart.</summary>
    public const string Format = "consortia-model/1";

    /// <summary>The whole model: format, job, run id, state, rounds, hash, layout and values.</summary>
    public static string Write(ModelDownload model)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter w = new(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            Header(w, model);
            w.WriteStartArray("layout");
            foreach (ModelSegmentShape segment in model.Segments)
            {
                w.WriteStartObject();
                w.WriteString("name", segment.Name);
                w.WriteStartArray("shape");
                foreach (int size in segment.Shape)
                {
                    w.WriteNumberValue(size);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("values");
            foreach (float value in model.Values)
            {
                // float32 values exactly: JSON numbers round-trip through float without loss.
                w.WriteNumberValue(value);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>What was written, for <c>--json</c> on stdout.</summary>
    public static string Summary(ModelDownload model, string path)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter w = new(buffer))
        {
            w.WriteStartObject();
            Header(w, model);
            w.WriteNumber("parameters", model.Values.Count);
            w.WriteString("file", path);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Header(Utf8JsonWriter w, ModelDownload model)
    {
        w.WriteString("job", model.Name);
        w.WriteString("runId", model.JobId);
        w.WriteString("status", model.Status);
        w.WriteNumber("round", model.Round);
        w.WriteNumber("modelRound", model.ModelRound);
        w.WriteString("sha256", model.Sha256);
    }
}
