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
/// site in this process, or (<c>grpc</c>) on a throw-away consortium of real processes on loopback.
/// </summary>
internal static class SimulateCommand
{
    private const string Inprocess = "inprocess";
    private const string Grpc = "grpc";

    public static Command Create()
    {
        Argument<FileInfo> job = new("job") { Description = "The job file (YAML; see docs/job-file.md)." };
        Option<ulong?> seed = new("--seed") { Description = "Overrides the job's seed." };
        Option<DirectoryInfo?> output = new("--out") { Description = "Writes the final model (model.json) and a Markdown summary (summary.md) here." };
        Option<bool> json = new("--json") { Description = "Prints one JSON document with per-round and final per-site metrics instead of the live display." };
        Option<string> transport = new("--transport")
        {
            Description = "inprocess: every site in this process (default); grpc: a throw-away consortium on loopback — coordinator and one node per site as separate processes, mutual TLS.",
            DefaultValueFactory = _ => Inprocess,
        };
        transport.AcceptOnlyFromAmong(Inprocess, Grpc);
        Option<int> timeout = new("--timeout") { Description = "With --transport grpc: give up after this many seconds (every process is stopped).", DefaultValueFactory = _ => 3600 };
        Command command = new("simulate", "Runs a federated job on one machine: one site per data partition, the real engine and strategy, in process or over gRPC.")
        {
            job, seed, output, json, transport, timeout,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetRequiredValue(job), parse.GetValue(seed), parse.GetValue(output), parse.GetValue(json),
            parse.GetValue(transport) == Grpc ? TimeSpan.FromSeconds(parse.GetValue(timeout)) : null,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    /// <param name="grpcTimeout">Set: run over gRPC on a local consortium, within this time; <see langword="null"/>: in process.</param>
    private static async Task<int> RunAsync(FileInfo jobFile, ulong? seed, DirectoryInfo? outDir, bool json, TimeSpan? grpcTimeout, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        SimulationResult result;
        try
        {
            JobDefinition job = JobFile.Load(jobFile.FullName);
            if (seed is { } s)
            {
                job = job with { Seed = s };
            }

            if (grpcTimeout is { } limit)
            {
                result = await DeployedSimulation.RunAsync(job, json ? null : new SyncProgress<string>(stdout.WriteLine), outDir?.FullName, limit, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                bool live = !json && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
                result = live
                    ? await RunLiveAsync(job, outDir?.FullName, cancellationToken).ConfigureAwait(false)
                    : await FederatedSimulation.RunAsync(job, json ? null : new SyncProgress<RoundReport>(r => stdout.WriteLine(ProgressLine(r, job.Engine.Rounds))), outDir?.FullName, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (LocalDeploymentException error)
        {
            await stderr.WriteLineAsync($"error: {jobFile.Name} over gRPC: {error.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (JobFileException error)
        {
            await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (DataConfigurationException error)
        {
            await stderr.WriteLineAsync($"error: {jobFile.Name}: data: {error.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (IOException error)
        {
            await stderr.WriteLineAsync($"error: {jobFile.Name}: cannot read the data: {error.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (DataValidationException error)
        {
            await stderr.WriteLineAsync($"error: the data does not match its contract:{Environment.NewLine}{error.Message}").ConfigureAwait(false);
            return 2;
        }

        if (outDir is not null)
        {
            outDir.Create();
            await File.WriteAllTextAsync(Path.Combine(outDir.FullName, "model.json"), SimulationReport.ModelJson(result), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(outDir.FullName, "summary.md"), SimulationReport.Markdown(result), cancellationToken).ConfigureAwait(false);
            string ledgers = Path.Combine(outDir.FullName, "ledgers");
            if (File.Exists(Path.Combine(ledgers, "coordinator.db")))
            {
                ComplianceReport report = ComplianceReportBuilder.Build(new ComplianceReportInput(
                    result.Job.SourceText ?? result.Job.Name,
                    jobFile.Name,
                    Path.Combine(ledgers, "coordinator.db"),
                    [.. result.Final.Sites.Select(s => Path.Combine(ledgers, s.Site.Value + ".db"))],
                    TimeProvider.System.GetUtcNow()) { JobId = result.Job.Name });
                await File.WriteAllTextAsync(Path.Combine(outDir.FullName, "compliance.html"), ComplianceReportRenderer.RenderHtml(report), cancellationToken).ConfigureAwait(false);
            }
        }

        if (json)
        {
            await stdout.WriteLineAsync(SimulationReport.ToJson(result)).ConfigureAwait(false);
        }
        else
        {
            await stdout.WriteLineAsync(SimulationReport.Markdown(result)).ConfigureAwait(false);
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
        return $"round {r.Round.Value}/{rounds}  sites {r.Contributors.Count}  loss {SimulationReport.Format(r.TrainLoss)}  {metrics}  {r.Elapsed.TotalMilliseconds:F0} ms{problems}";
    }
}
