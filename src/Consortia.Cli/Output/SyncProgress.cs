namespace Consortia.Cli.Output;

/// <summary>An <see cref="IProgress{T}"/> that calls its handler synchronously, in report order.</summary>
internal sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
