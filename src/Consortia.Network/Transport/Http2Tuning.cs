using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Consortia.Network.Transport;

/// <summary>
/// HTTP/2 settings shared by the coordinator and the nodes. Models travel as streams of 1 MiB chunks;
/// with HTTP/2's small default flow-control windows (64 KiB at the client, 768 KiB per stream at Kestrel)
/// a large model would wait for window updates on every chunk, so the windows are widened.
/// </summary>
public static class Http2Tuning
{
    /// <summary>The per-stream flow-control window.</summary>
    public const int StreamWindowBytes = 16 << 20;

    /// <summary>The per-connection flow-control window.</summary>
    public const int ConnectionWindowBytes = 32 << 20;

    /// <summary>Widens Kestrel's windows and turns on keep-alive pings (a cut link is noticed in seconds).</summary>
    public static void Apply(KestrelServerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Http2.InitialStreamWindowSize = StreamWindowBytes;
        limits.Http2.InitialConnectionWindowSize = ConnectionWindowBytes;
        limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(10);
        limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
    }

    /// <summary>Widens the client's initial stream window and turns on keep-alive pings.</summary>
    public static void Apply(SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handler.InitialHttp2StreamWindowSize = StreamWindowBytes;
        handler.KeepAlivePingDelay = TimeSpan.FromSeconds(10);
        handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
        handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always;
    }
}
