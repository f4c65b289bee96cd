namespace Consortia.SecureAggregation.Signing;

/// <summary>Signs protocol payloads with the local site's long-term identity key (malicious-server mode).</summary>
public interface ISigner
{
    /// <summary>Signs <paramref name="payload"/>.</summary>
    /// <param name="payload">The canonical bytes to sign (they include the session id).</param>
    /// <returns>The signature.</returns>
    public byte[] Sign(ReadOnlySpan<byte> payload);
}
