using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Consortia.TestKit;

/// <summary>
/// A throw-away PostgreSQL server for tests: <c>initdb</c> into a temporary folder, started with <c>pg_ctl -w</c>
/// listening only on a Unix socket in that folder (no TCP port), stopped and deleted on dispose.
/// </summary>
/// <remarks>
/// <para>
/// Uses Debian's server binaries (<c>/usr/lib/postgresql/VERSION/bin</c>, the newest; <c>$CONSORTIA_PG_BIN</c>
/// overrides). PostgreSQL refuses to run as root, so under root the server runs as the <c>postgres</c> user (created
/// by Debian's package) through <c>runuser</c>, in a folder it owns. Clients connect as the database superuser
/// <c>postgres</c> with trust authentication: only processes that can reach the socket folder can connect.
/// </para>
/// <para>If the server cannot be started, <see cref="Start"/> throws with the reason and the server log: tests fail, never skip.</para>
/// </remarks>
public sealed class PostgresServer : IDisposable
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(90);
    private readonly string _bin;
    private readonly string? _runAs;
    private int _databases;
    private bool _disposed;

    private PostgresServer(string folder, string bin, string? runAs)
    {
        Folder = folder;
        _bin = bin;
        _runAs = runAs;
    }

    /// <summary>The server's folder: its data directory (<c>data</c>), its log (<c>server.log</c>) and its socket.</summary>
    public string Folder { get; }

    /// <summary>The folder holding the server's Unix socket (the <c>Host</c> of a connection string).</summary>
    public string SocketFolder => Folder;

    /// <summary>Creates, starts and waits for a server.</summary>
    /// <returns>The running server.</returns>
    /// <exception cref="InvalidOperationException">The binaries are missing or the server did not start (the message says why).</exception>
    public static PostgresServer Start()
    {
        string bin = FindBinaries();
        string? runAs = string.Equals(Environment.UserName, "root", StringComparison.Ordinal) ? "postgres" : null;
        DirectoryInfo folder = Directory.CreateTempSubdirectory("consortia-pg-");
        PostgresServer server = new(folder.FullName, bin, runAs);
        try
        {
            if (runAs is not null)
            {
                Run("chown", [runAs, folder.FullName], "giving the server folder to the postgres user (PostgreSQL refuses to run as root; is Debian's postgresql installed?)");
            }

            server.RunServerTool("initdb", ["-D", server.DataFolder, "-U", "postgres", "--auth=trust", "--no-sync", "--encoding=UTF8", "--no-locale"], "initdb");
            server.RunServerTool("pg_ctl", [
                "-D", server.DataFolder, "-l", server.LogFile, "-w", "-t", "60",
                "-o", $"-c listen_addresses='' -k {server.SocketFolder} -c fsync=off -c max_connections=200",
                "start"], "pg_ctl start");
            return server;
        }
        catch (Exception error)
        {
            string log = File.Exists(server.LogFile) ? File.ReadAllText(server.LogFile) : "(no server log)";
            server.Dispose();
            throw new InvalidOperationException($"The throw-away PostgreSQL server did not start: {error.Message}\n--- server log ---\n{log}", error);
        }
    }

    /// <summary>Creates a new, empty database.</summary>
    /// <param name="prefix">The start of its name.</param>
    /// <returns>A connection string for it (socket, database, superuser).</returns>
    public string CreateDatabase(string prefix = "consortia")
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        string name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{Interlocked.Increment(ref _databases)}");
        Run(Path.Combine(_bin, "createdb"), ["-h", SocketFolder, "-U", "postgres", name], $"createdb {name}");
        return ConnectionString(name);
    }

    /// <summary>A connection string for a database of this server.</summary>
    /// <param name="database">The database.</param>
    /// <returns>The connection string.</returns>
    public string ConnectionString(string database) => $"Host={SocketFolder};Database={database};Username=postgres";

    /// <summary>Runs SQL with <c>psql</c> (for tests that damage a database on purpose).</summary>
    /// <param name="database">The database.</param>
    /// <param name="sql">The statements.</param>
    /// <returns>What psql printed (unaligned, tuples only).</returns>
    public string Sql(string database, string sql)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Run(Path.Combine(_bin, "psql"), ["-h", SocketFolder, "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], "psql");
    }

    /// <summary>Stops the server at once and deletes its folder.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (File.Exists(Path.Combine(DataFolder, "postmaster.pid")))
        {
            try
            {
                RunServerTool("pg_ctl", ["-D", DataFolder, "-m", "immediate", "-w", "-t", "60", "stop"], "pg_ctl stop");
            }
            catch (InvalidOperationException)
            {
                // Already stopped: nothing to do but delete the folder.
            }
        }

        Directory.Delete(Folder, recursive: true);
    }

    private string DataFolder => Path.Combine(Folder, "data");

    private string LogFile => Path.Combine(Folder, "server.log");

    private static string FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("CONSORTIA_PG_BIN") is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "initdb"))
                ? configured
                : throw new InvalidOperationException($"CONSORTIA_PG_BIN is '{configured}', which holds no initdb.");
        }

        const string root = "/usr/lib/postgresql";
        string? newest = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Where(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out _) && File.Exists(Path.Combine(d, "bin", "initdb")))
                .OrderByDescending(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))
                .FirstOrDefault()
            : null;
        return newest is null
            ? throw new InvalidOperationException($"No PostgreSQL server binaries in {root}/*/bin: install Debian's postgresql (`apt-get install -y postgresql`; .ci/run does) or set CONSORTIA_PG_BIN.")
            : Path.Combine(newest, "bin");
    }

    /// <summary>Runs a server tool, as the postgres user when the tests run as root.</summary>
    private void RunServerTool(string tool, IReadOnlyList<string> args, string what) =>
        _ = _runAs is null
            ? Run(Path.Combine(_bin, tool), args, what)
            : Run("runuser", ["-u", _runAs, "--", Path.Combine(_bin, tool), .. args], what);

    private static string Run(string program, IReadOnlyList<string> args, string what)
    {
        ProcessStartInfo start = new(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        StringBuilder output = new();
        using Process process = new() { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException($"{what}: cannot run {program}: {error.Message}", error);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(s_commandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{what}: did not finish within {s_commandTimeout.TotalSeconds:F0} s.\n{Text(output)}");
        }

        process.WaitForExit(); // drains the output handlers
        return process.ExitCode == 0
            ? Text(output)
            : throw new InvalidOperationException($"{what}: {program} exited with {process.ExitCode}.\n{Text(output)}");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
