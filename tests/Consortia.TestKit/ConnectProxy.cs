using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Consortia.TestKit;

/// <summary>
/// A small HTTP CONNECT proxy on loopback, as a hospital's outbound proxy: it opens a TCP tunnel to the target each
/// client names and copies bytes both ways (TLS stays end to end inside), counting the tunnels and their targets.
/// </summary>
public sealed class ConnectProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _tunnels = [];
    private readonly Lock _gate = new();
    private int _count;

    private ConnectProxy()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy's URL, as a node's <c>proxy:</c> or <c>HTTPS_PROXY</c> takes it.</summary>
    public string Address => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Tunnels opened so far.</summary>
    public int Tunnels => Volatile.Read(ref _count);

    /// <summary>The <c>host:port</c> of every tunnel opened.</summary>
    public List<string> Targets { get; } = [];

    /// <summary>Starts listening on a free loopback port.</summary>
    public static ConnectProxy Start() => new();

    /// <summary>Stops listening and closes every tunnel.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] tunnels;
        lock (_gate)
        {
            tunnels = [.. _tunnels];
        }

        await Task.WhenAll(tunnels);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_gate)
                {
                    _tunnels.Add(TunnelAsync(client));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task TunnelAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream inbound = client.GetStream();
                string request = await ReadHeadAsync(inbound);
                string[] first = request.Split("\r\n")[0].Split(' ');
                if (first is not ["CONNECT", string target, _])
                {
                    await inbound.WriteAsync("HTTP/1.1 405 Method Not Allowed\r\n\r\n"u8.ToArray(), _stop.Token);
                    return;
                }

                string[] hostPort = target.Split(':');
                using TcpClient upstream = new();
                await upstream.ConnectAsync(hostPort[0], int.Parse(hostPort[1], System.Globalization.CultureInfo.InvariantCulture), _stop.Token);
                lock (_gate)
                {
                    Targets.Add(target);
                }

                Interlocked.Increment(ref _count);
                await inbound.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), _stop.Token);
                NetworkStream outbound = upstream.GetStream();
                using CancellationTokenSource either = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                Task up = inbound.CopyToAsync(outbound, either.Token);
                Task down = outbound.CopyToAsync(inbound, either.Token);
                await Task.WhenAny(up, down);
                await either.CancelAsync();
                await Task.WhenAll(up, down).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // A side closed, or the proxy stops.
            }
        }
    }

    /// <summary>Reads the request head byte by byte (nothing of the tunnel's first bytes may be consumed).</summary>
    private async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        StringBuilder head = new();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0 || head.Length > 8192)
            {
                throw new IOException("the client closed before the end of its request head");
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
