using System.Diagnostics;
using System.CommandLine;
using Consortia.Cli.Deployment;
using Consortia.Cli.Output;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Learning.Metrics;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Governance.Reports;
using Spectre.Console;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia simulate JOB.yaml [--seed N] [--out DIR] [--json] [--transport inprocess|grpc]</c>: runs a job with every
/// site in this process, or (<c>grpc</c>) on a throw-away consortium of real processes on loopback;
/// <c>consortia simulate --resume DIR</c> finishes an in-process run into DIR that was interrupted;
/// <c>--serve [ADDR:PORT] [--pace DURATION]</c> shows the run live on a local dashboard and keeps serving it afterwards.
/// </summary>
internal static class SimulateCommand
{
    private const string Inprocess = "inprocess";
    private const string Grpc = "grpc";

    public static Command Create()
    {
        Argument<FileInfo?> job = new("job") { Description = "The job file (YAML; see docs/job-file.md).", Arity = ArgumentArity.ZeroOrOne };
        Option<ulong?> seed = new("--seed") { Description = "Overrides the job's seed." };
        Option<DirectoryInfo?> output = new("--out") { Description = "Writes the final model (model.json, model.onnx), its model card (model-card.md), a Markdown summary (summary.md) and an HTML report with plots (report.html) here." };
        Option<bool> json = new("--json") { Description = "Prints one JSON document with per-round and final per-site metrics instead of the live display." };
        // Resume (checkpoints in --out DIR): --resume DIR instead of a job file; the hidden --stop-after-round is the
        // tests' way to interrupt a run at a chosen round (as Ctrl-C or a kill would, but deterministically).
        Option<DirectoryInfo?> resume = new("--resume") { Description = "Finishes the interrupted run whose --out folder is DIR (same job, seed and result as an uninterrupted run)." };
        Option<int?> stopAfter = new("--stop-after-round") { Description = "Stops the run after this round is committed, as an interruption would (for tests).", Hidden = true };
        Option<string> transport = new("--transport")
        {
            Description = "inprocess: every site in this process (default); grpc: a throw-away consortium on loopback — coordinator and one node per site as separate processes, mutual TLS.",
            DefaultValueFactory = _ => Inprocess,
        };
        transport.AcceptOnlyFromAmong(Inprocess, Grpc);
        Option<int> timeout = new("--timeout") { Description = "With --transport grpc: give up after this many seconds (every process is stopped).", DefaultValueFactory = _ => 3600 };
        Option<string?> serve = new("--serve")
        {
            Description = $"Serves a read-only dashboard of the run (default address {DefaultServe}; give it after the job file), prints its login link, and keeps serving after the run until Ctrl+C or SIGTERM.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Option<string?> pace = new("--pace") { Description = "With --serve: a minimum wall time per round (e.g. 300ms, 2s), for watching the run live; changes no result." };
        Command command = new("simulate", "Runs a federated job on one machine: one site per data partition, the real engine and strategy, in process or over gRPC.")
        {
            job, seed, output, json, resume, stopAfter, transport, timeout, serve, pace,
        };
        command.Validators.Add(result =>
        {
            bool hasJob = result.GetValue(job) is not null, hasResume = result.GetValue(resume) is not null;
            if (hasJob == hasResume)
            {
                result.AddError("simulate: give either a job file or --resume DIR (not both).");
            }
            else if (hasResume && (result.GetValue(output) is not null || result.GetValue(seed) is not null))
            {
                result.AddError("simulate --resume DIR: the run's folder, seed and outputs are those of the interrupted run; --out and --seed do not apply.");
            }

            bool serving = result.GetResult(serve) is not null;
            if (serving && (hasResume || result.GetValue(transport) == Grpc))
            {
                result.AddError("simulate --serve: serves an in-process run of a job file (not --resume, not --transport grpc).");
            }
            else if (serving && !SimulateDashboard.TryParseEndpoint(result.GetValue(serve) ?? DefaultServe, out _))
            {
                result.AddError($"simulate --serve ADDR:PORT: expected an IP address and port such as {DefaultServe} (give --serve after the job file), got '{result.GetValue(serve)}'.");
            }

            if (result.GetValue(pace) is { } p && (!serving || ParsePace(p) is null))
            {
                result.AddError(serving
                    ? $"simulate --pace: expected a duration such as 300ms or 2s, got '{p}'."
                    : "simulate --pace: paces a run someone watches; use it with --serve.");
            }
        });
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(job), parse.GetValue(seed), parse.GetValue(resume) ?? parse.GetValue(output), parse.GetValue(resume) is not null, parse.GetValue(json), parse.GetValue(stopAfter),
            parse.GetValue(transport) == Grpc ? TimeSpan.FromSeconds(parse.GetValue(timeout)) : null,
            parse.GetResult(serve) is null ? null : new ServeRequest(parse.GetValue(serve) ?? DefaultServe, parse.GetValue(pace) is { } p ? ParsePace(p)!.Value : TimeSpan.Zero),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private const string DefaultServe = "127.0.0.1:0";

    /// <summary>What <c>--serve</c> and <c>--pace</c> asked for.</summary>
    private sealed record ServeRequest(string Address, TimeSpan Pace);

    /// <summary>A pace: a non-negative number with <c>ms</c>, <c>s</c> or <c>m</c>, or <see langword="null"/>.</summary>
    private static TimeSpan? ParsePace(string text)
    {
        (string number, double unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : text.EndsWith('m') ? (text[..^1], 60_000.0)
            : (text, double.NaN);
        return double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value)
            && double.IsFinite(value * unit) && value >= 0 && value * unit <= TimeSpan.FromHours(1).TotalMilliseconds
            ? TimeSpan.FromMilliseconds(value * unit)
            : null;
    }

    /// <param name="grpcTimeout">Set: run over gRPC on a local consortium, within this time; <see langword="null"/>: in process.</param>
    /// <param name="serve">Set: serve a dashboard of the run and keep serving it afterwards.</param>
    private static async Task<int> RunAsync(FileInfo? jobArgument, ulong? seed, DirectoryInfo? outDir, bool resume, bool json, int? stopAfter, TimeSpan? grpcTimeout, ServeRequest? serve, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        SimulateDashboard? dashboard = null;
        if (serve is not null)
        {
            if (!SimulateDashboard.TryParseEndpoint(serve.Address, out System.Net.IPEndPoint endpoint))
            {
                throw new UnreachableException($"--serve {serve.Address} passed the validator"); // the validator parses it first
            }

            try
            {
                dashboard = await SimulateDashboard.StartAsync(endpoint, outDir?.FullName, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException error)
            {
                await stderr.WriteLineAsync($"error: simulate --serve {serve.Address}: cannot listen there: {error.Message}").ConfigureAwait(false);
                return 1;
            }

            // With --json, stdout carries only the JSON document.
            TextWriter announce = json ? stderr : stdout;
            await announce.WriteLineAsync(dashboard.Announcement()).ConfigureAwait(false);
            await announce.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (dashboard)
        {
            int code = await RunAsync(jobArgument, seed, outDir, resume, json, stopAfter, grpcTimeout, dashboard is null ? null : new SimulationWatch(dashboard.Store, serve!.Pace, TimeProvider.System), stdout, stderr, cancellationToken).ConfigureAwait(false);
            if (dashboard is null || cancellationToken.IsCancellationRequested)
            {
                return code;
            }

            TextWriter announce = json ? stderr : stdout;
            await announce.WriteLineAsync($"dashboard: the run has ended; still serving it at {dashboard.Address} until Ctrl+C or SIGTERM.").ConfigureAwait(false);
            await announce.FlushAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C or SIGTERM: stop serving.
            }

            return code;
        }
    }

    /// <param name="watch">Set (<c>--serve</c>): the store the dashboard reads and the pace.</param>
    private static async Task<int> RunAsync(FileInfo? jobArgument, ulong? seed, DirectoryInfo? outDir, bool resume, bool json, int? stopAfter, TimeSpan? grpcTimeout, SimulationWatch? watch, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        SimulationResult result;
        string jobName = jobArgument?.Name ?? outDir!.Name;
        using CancellationTokenSource interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            JobDefinition? job = null;
            if (!resume)
            {
                job = JobFile.Load(jobArgument!.FullName);
                if (seed is { } s)
                {
                    job = job with { Seed = s };
                }
            }

            IProgress<RoundReport> Progress(Action<RoundReport>? show) => new SyncProgress<RoundReport>(r =>
            {
                show?.Invoke(r);
                if (r.Round.Value == stopAfter)
                {
                    interrupt.Cancel();
                }
            });

            bool live = watch is null && !json && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            if (resume)
            {
                result = await FederatedSimulation.ResumeAsync(outDir!.FullName, Progress(json ? null : r => stdout.WriteLine(ProgressLine(r, 0))), interrupt.Token).ConfigureAwait(false);
            }
            else if (grpcTimeout is { } limit)
            {
                result = await DeployedSimulation.RunAsync(job!, json ? null : new SyncProgress<string>(stdout.WriteLine), outDir?.FullName, limit, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                JobDefinition fresh = job!;
                result = watch is not null
                    ? await FederatedSimulation.RunAsync(fresh, Progress(json ? null : r => stdout.WriteLine(ProgressLine(r, fresh.Engine.Rounds))), outDir?.FullName, watch, interrupt.Token).ConfigureAwait(false)
                    : live
                    ? await RunLiveAsync(fresh, outDir?.FullName, interrupt.Token).ConfigureAwait(false)
                    : await FederatedSimulation.RunAsync(fresh, Progress(json ? null : r => stdout.WriteLine(ProgressLine(r, fresh.Engine.Rounds))), outDir?.FullName, interrupt.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            await stderr.WriteLineAsync(outDir is null
                ? "interrupted."
                : $"interrupted; the job is checkpointed in {outDir.FullName}: finish it with `consortia simulate --resume {outDir.FullName}`.").ConfigureAwait(false);
            return 3;
        }
        catch (LocalDeploymentException error)
        {
            await stderr.WriteLineAsync($"error: {jobName} over gRPC: {error.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (JobFileException error)
        {
            await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (DataConfigurationException error)
        {
            await stderr.WriteLineAsync($"error: {jobName}: data: {error.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (IOException error)
        {
            await stderr.WriteLineAsync($"error: {jobName}: cannot read the data: {error.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (DataValidationException error)
        {
            await stderr.WriteLineAsync($"error: the data does not match its contract:{Environment.NewLine}{error.Message}").ConfigureAwait(false);
            return 2;
        }

        // In-process runs draw DP noise from the job seed; nodes (--transport grpc) draw it from their CSPRNG.
        IReadOnlyList<string> warnings = PrivacyWarnings.For(result, seededNoise: grpcTimeout is null);
        foreach (string warning in warnings)
        {
            await stderr.WriteLineAsync($"warning: {warning}").ConfigureAwait(false);
        }

        if (outDir is not null)
        {
            outDir.Create();
            await File.WriteAllTextAsync(Path.Combine(outDir.FullName, "model.json"), SimulationReport.ModelJson(result), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(outDir.FullName, "summary.md"), SimulationReport.Markdown(result, warnings), cancellationToken).ConfigureAwait(false);
            await Output.Reports.ReportArtifacts.WriteAsync(outDir.FullName, result, warnings, cancellationToken).ConfigureAwait(false);
            string ledgers = Path.Combine(outDir.FullName, "ledgers");
            if (File.Exists(Path.Combine(ledgers, "coordinator.db")))
            {
                ComplianceReport report = ComplianceReportBuilder.Build(new ComplianceReportInput(
                    result.Job.SourceText ?? result.Job.Name,
                    Path.GetFileName(result.Job.SourcePath) ?? jobName,
                    result.Job.Describe(),
                    Path.Combine(ledgers, "coordinator.db"),
                    [.. result.Final.Sites.Select(s => Path.Combine(ledgers, s.Site.Value + ".db"))],
                    TimeProvider.System.GetUtcNow()) { JobId = result.Job.Name });
                await File.WriteAllTextAsync(Path.Combine(outDir.FullName, "compliance.html"), ComplianceReportRenderer.RenderHtml(report), cancellationToken).ConfigureAwait(false);
            }
        }

        if (json)
        {
            await stdout.WriteLineAsync(SimulationReport.ToJson(result, warnings)).ConfigureAwait(false);
        }
        else
        {
            await stdout.WriteLineAsync(SimulationReport.Markdown(result, warnings)).ConfigureAwait(false);
            if (outDir is not null)
            {
                await stdout.WriteLineAsync($"Model and summary written to {outDir.FullName}").ConfigureAwait(false);
            }
        }

        return 0;
    }

    private static async Task<SimulationResult> RunLiveAsync(JobDefinition job, string? stateDirectory, CancellationToken cancellationToken)
    {
        SimulationResult? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                ProgressTask task = context.AddTask(Markup.Escape($"{job.Name}: loading data"), maxValue: job.Engine.Rounds);
                result = await FederatedSimulation.RunAsync(
                    job,
                    new SyncProgress<RoundReport>(r =>
                    {
                        task.Description = Markup.Escape(ProgressLine(r, job.Engine.Rounds));
                        task.Increment(1);
                    }),
                    stateDirectory,
                    cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result ?? throw new InvalidOperationException("The simulation produced no result.");
    }

    private static string ProgressLine(RoundReport r, int rounds)
    {
        string metrics = r.Evaluation is { } e
            ? string.Join("  ", e.Mean.Select(m => $"{m.Kind.ReportName()} {SimulationReport.Format(m.Value)}"))
            : "";
        string problems = r.Refusals.Count + r.Failures.Count > 0
            ? "  problems: " + string.Join("; ", r.Refusals.Cast<SiteReply>().Concat(r.Failures).Select(p => $"{p.Site} {SimulationReport.Describe(p)}"))
            : "";
        string of = rounds > 0 ? $"/{rounds}" : "";
        return $"round {r.Round.Value}{of}  sites {r.Contributors.Count}  loss {SimulationReport.Format(r.TrainLoss)}  {metrics}{problems}";
    }
}
