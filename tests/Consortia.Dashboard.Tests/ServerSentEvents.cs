namespace Consortia.Dashboard.Tests;

/// <summary>Reads server-sent events from a stream, one at a time.</summary>
public static class ServerSentEvents
{
    /// <summary>Reads events until one named <paramref name="name"/>.</summary>
    public static async Task<(string Name, string Data, string? Id)> NextOfAsync(StreamReader reader, string name, CancellationToken cancellationToken)
    {
        while (true)
        {
            (string Name, string Data, string? Id) next = await NextAsync(reader, cancellationToken);
            if (next.Name == name)
            {
                return next;
            }
        }
    }

    /// <summary>Reads one event (skipping <c>retry:</c>-only blocks).</summary>
    /// <exception cref="EndOfStreamException">The stream ended first.</exception>
    public static async Task<(string Name, string Data, string? Id)> NextAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        string? name = null, data = null, id = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null)
                {
                    return (name, data ?? "", id);
                }

                continue;
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line["id: ".Length..];
            }
        }

        throw new EndOfStreamException("the event stream ended");
    }
}
