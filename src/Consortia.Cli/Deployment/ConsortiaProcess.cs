using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Consortia.Cli.Deployment;

/// <summary>
/// A child <c>consortia</c> process (this same program, started again with other arguments), with everything it
/// writes kept in memory so that a failure can show what each process said.
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

    /// <summary>A short name for messages (e.g. <c>coordinator</c> or the site's name).</summary>
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

    /// <summary>The exit code, once the process has ended.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <c>consortia ARGS</c>. <paramref name="wrapper"/> is a command the child runs under (for example
    /// <c>ip netns exec NS</c>); empty to start it directly. <paramref name="environment"/> adds to the inherited variables.
    /// </summary>
    public static ConsortiaProcess Start(string name, IEnumerable<string> args, string workingDirectory, IReadOnlyList<string>? wrapper = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        (string program, IReadOnlyList<string> leading) = ConsortiaExecutable.Resolve();
        List<string> command = [.. wrapper ?? [], program, .. leading, .. args];
        ProcessStartInfo start = new(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // the child never reads it; not inheriting ours keeps Ctrl+C handling with the parent
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        Process process = new() { StartInfo = start, EnableRaisingEvents = true };
        ConsortiaProcess wrapped = new(process, name);
        process.OutputDataReceived += (_, e) => wrapped.Append(e.Data);
        process.ErrorDataReceived += (_, e) => wrapped.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapped;
    }

    /// <summary>Runs <c>consortia ARGS</c> to completion and returns its exit code and output.</summary>
    /// <exception cref="TimeoutException">It did not end within <paramref name="timeout"/> (it is killed).</exception>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, TimeSpan timeout, string workingDirectory, IReadOnlyList<string>? wrapper, CancellationToken cancellationToken)
    {
        await using ConsortiaProcess process = Start("consortia " + args.FirstOrDefault(), args, workingDirectory, wrapper);
        int code = await process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        return (code, process.Output);
    }

    /// <summary>Waits until a line matching <paramref name="match"/> appears.</summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>, or the process ended first; the message carries the output.</exception>
    public async Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        TaskCompletionSource seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_output.ToString().Split('\n').Any(match))
            {
                return;
            }

            _waiters.Add((match, seen));
        }

        // An ended process will never print the line: stop waiting at once rather than at the timeout.
        Task exited = _process.WaitForExitAsync(cancellationToken);
        try
        {
            await Task.WhenAny(seen.Task, exited).WaitAsync(timeout, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"{Name}: no line {what} within {timeout.TotalSeconds:F0} s. Output:\n{Output}"));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!seen.Task.IsCompleted)
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"{Name}: exited with code {_process.ExitCode} before {what}. Output:\n{Output}"));
        }
    }

    /// <summary>Waits for the process to end.</summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/> (it is killed).</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"{Name}: did not exit within {timeout.TotalSeconds:F0} s. Output:\n{Output}");
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the process and its children at once (SIGKILL: no shutdown code runs).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill.
        }
    }

    /// <summary>Asks the process to stop (SIGTERM: graceful shutdown) and waits for it; kills it if it does not stop in time.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        return await WaitForExitAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>Kills the process if it still runs and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync().ConfigureAwait(false);
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
