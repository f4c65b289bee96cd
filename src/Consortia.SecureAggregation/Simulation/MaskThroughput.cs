namespace Consortia.SecureAggregation.Simulation;

/// <summary>Measured throughput of mask expansion versus the raw platform cipher on this machine.</summary>
/// <param name="MaskBytesPerSecond">Bytes of mask expanded and added into a vector per second (AES-256-CTR keystream + vectorised add).</param>
/// <param name="CipherBytesPerSecond">Bytes of raw AES-256 keystream per second (one platform ECB call over the counter blocks).</param>
public sealed record MaskThroughput(double MaskBytesPerSecond, double CipherBytesPerSecond)
{
    /// <summary>Mask expansion throughput as a fraction of the raw cipher throughput.</summary>
    public double Efficiency => CipherBytesPerSecond > 0 ? MaskBytesPerSecond / CipherBytesPerSecond : 0;
}
