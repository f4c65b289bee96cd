using System.Diagnostics;
using System.Text;

namespace Consortia.EndToEnd.Tests.Support;

/// <summary>
/// A real <c>consortia</c> process (the CLI built beside the tests), with its output kept in memory and in a
/// log file, so a failing test can show what each process said.
/// </summary>
internal sealed class ConsortiaProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    private ConsortiaProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    /// <summary>A short name for messages.</summary>
    public string Name { get; }

    /// <summary>Everything the process wrote so far (stdout and stderr interleaved).</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>consortia ARGS</c>, optionally inside network namespace <paramref name="netns"/>.</summary>
    public static ConsortiaProcess Start(string name, IEnumerable<string> args, string? workingDirectory = null, string? netns = null)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "consortia.dll");
        ProcessStartInfo start = netns is null ? new("dotnet") : new("ip");
        if (netns is not null)
        {
            foreach (string a in new[] { "netns", "exec", netns, "dotnet" })
            {
                start.ArgumentList.Add(a);
            }
        }

        start.ArgumentList.Add(cli);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        Process process = new() { StartInfo = start, EnableRaisingEvents = true };
        ConsortiaProcess wrapper = new(process, name);
        process.OutputDataReceived += (_, e) => wrapper.Append(e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>Runs <c>consortia ARGS</c> to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, string? netns = null)
    {
        await using ConsortiaProcess process = Start("run", args, workingDirectory, netns);
        int code = await process.WaitForExitAsync(timeout);
        return (code, process.Output);
    }

    /// <summary>Waits until a line matching <paramref name="match"/> appears.</summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>; the message carries the output.</exception>
    public async Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        TaskCompletionSource seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_output.ToString().Split('\n').Any(match))
            {
                return;
            }

            _waiters.Add((match, seen));
        }

        try
        {
            await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name}: no line {what} within {timeout.TotalSeconds:F0} s. Output:\n{Output}");
        }
    }

    /// <summary>Waits for the process to end.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"{Name}: did not exit within {timeout.TotalSeconds:F0} s. Output:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the process at once (SIGKILL: no shutdown code runs).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Asks the process to stop (SIGTERM: graceful shutdown) and waits for it.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Seen.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
