using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Consortia.Governance.Audit;

/// <summary>Writes JSON in one canonical form: no whitespace, non-ASCII escaped, object keys sorted (ordinal).</summary>
internal static class CanonicalJson
{
    private static readonly JsonDocumentOptions s_readOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 32,
        AllowDuplicateProperties = false,
    };

    public static JsonWriterOptions WriterOptions { get; } = new() { Indented = false, SkipValidation = false };

    public static JsonDocumentOptions ReadOptions => s_readOptions;

    /// <summary>Parses any JSON value and returns its canonical text.</summary>
    /// <exception cref="ArgumentException">The text is not a single JSON value (or has duplicate keys).</exception>
    public static string Canonicalize(string json, string field)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json, s_readOptions);
            ArrayBufferWriter<byte> buffer = new();
            using (Utf8JsonWriter writer = new(buffer, WriterOptions))
            {
                Write(writer, document.RootElement);
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        catch (JsonException error)
        {
            throw new ArgumentException($"{field}: not valid JSON: {error.Message}", field, error);
        }
    }

    public static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (JsonProperty property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(element.GetString());
                break;
            case JsonValueKind.Number:
                // The literal is kept as written (already validated JSON), so no precision is lost or reformatted.
                writer.WriteRawValue(element.GetRawText(), skipInputValidation: false);
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
