using System.Text.Json;

namespace Consortia.Cli.Output;

/// <summary>Small helpers for writing JSON with NaN as null (JSON has no NaN).</summary>
internal static class Json
{
    public static void Number(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
