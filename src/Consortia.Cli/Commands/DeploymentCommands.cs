using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Consortia.Network.Configuration;
using Consortia.Network.Coordinator;
using Consortia.Network.Node;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Consortia.Cli.Commands;

/// <summary>
/// The deployment commands: <c>consortia coordinator</c>, <c>consortia node run</c> and
/// <c>consortia job submit|status|list|cancel|model</c>.
/// </summary>
internal static class DeploymentCommands
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    /// <summary><c>consortia coordinator --config coordinator.yaml</c>.</summary>
    public static Command Coordinator()
    {
        Option<FileInfo> config = new("--config") { Description = "The coordinator's configuration (coordinator.yaml; see docs/deployment.md).", Required = true };
        Option<string> logFormat = LogFormatOption();
        Command command = new("coordinator", "Runs the coordinator: the sites' gRPC endpoint (mutual TLS), enrollment, the admin API and health/metrics.")
        {
            config, logFormat,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter stderr = parse.InvocationConfiguration.Error;
            try
            {
                CoordinatorConfig settings = CoordinatorConfig.Load(parse.GetRequiredValue(config).FullName);
                return await CoordinatorHost.RunAsync(settings, Logging(parse.GetValue(logFormat)), cancellationToken).ConfigureAwait(false);
            }
            catch (ConfigurationException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    /// <summary><c>consortia node run --config site.yaml</c>.</summary>
    public static Command NodeRun()
    {
        Option<FileInfo> config = new("--config") { Description = "The node's configuration (site.yaml; see docs/deployment.md).", Required = true };
        Option<string> logFormat = LogFormatOption();
        Command command = new("run", "Runs a site node: dials the coordinator with the site's certificate and answers its work with the site's own data, policy and budget.")
        {
            config, logFormat,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter stderr = parse.InvocationConfiguration.Error;
            try
            {
                NodeConfig settings = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
                await NodeHost.RunAsync(settings, Logging(parse.GetValue(logFormat)), TimeProvider.System, cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (ConfigurationException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    /// <summary><c>consortia job submit|status|list|cancel</c>.</summary>
    public static Command Job()
    {
        Command job = new("job", "Submits and follows jobs on a running coordinator (admin API).");

        Argument<FileInfo> file = new("job") { Description = "The job file (YAML; see docs/job-file.md)." };
        Command submit = new("submit", "Submits a job file; prints the job id.") { file };
        AddConnection(submit, out Option<string> url, out Option<DirectoryInfo?> home, out Option<bool> json);
        submit.SetAction((parse, ct) => WithClient(parse, url, home, async (client, output) =>
        {
            FileInfo path = parse.GetRequiredValue(file);
            if (!path.Exists)
            {
                throw new ConfigurationException($"{path.FullName}: no such file.");
            }

            JobOverview status = await client.SubmitAsync(await File.ReadAllTextAsync(path.FullName, ct).ConfigureAwait(false), path.Name, ct).ConfigureAwait(false);
            await output.WriteLineAsync(parse.GetValue(json) ? Json(status) : status.JobId).ConfigureAwait(false);
        }));

        Argument<string> id = new("id") { Description = "The job id printed by `job submit`." };
        Option<bool> wait = new("--wait") { Description = "Waits until the job has ended (completed, failed, cancelled or refused); exits 1 unless it completed." };
        Option<int> timeout = new("--timeout") { Description = "With --wait: give up after this many seconds (exit 3).", DefaultValueFactory = _ => 3600 };
        Command status = new("status", "Prints a job's status and round history.") { id, wait, timeout };
        AddConnection(status, out Option<string> statusUrl, out Option<DirectoryInfo?> statusHome, out Option<bool> statusJson);
        status.SetAction((parse, ct) => WithClient(parse, statusUrl, statusHome, async (client, output) =>
        {
            string jobId = parse.GetRequiredValue(id);
            JobOverview current = await client.GetAsync(jobId, ct).ConfigureAwait(false);
            int shownRounds = 0;
            if (parse.GetValue(wait))
            {
                using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                limit.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout)));
                while (current.IsActive)
                {
                    if (!parse.GetValue(statusJson))
                    {
                        for (; shownRounds < current.Rounds.Count; shownRounds++)
                        {
                            await output.WriteLineAsync(RoundLine(current.Rounds[shownRounds], current.RoundsTotal)).ConfigureAwait(false);
                        }
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System, limit.Token).ConfigureAwait(false);
                    current = await client.GetAsync(jobId, limit.Token).ConfigureAwait(false);
                }
            }

            if (parse.GetValue(statusJson))
            {
                await output.WriteLineAsync(Json(current)).ConfigureAwait(false);
            }
            else if (parse.GetValue(wait))
            {
                // Rounds already printed while waiting are not printed again.
                for (; shownRounds < current.Rounds.Count; shownRounds++)
                {
                    await output.WriteLineAsync(RoundLine(current.Rounds[shownRounds], current.RoundsTotal)).ConfigureAwait(false);
                }

                await output.WriteLineAsync(Describe(current).Split(Environment.NewLine)[0]).ConfigureAwait(false);
            }
            else
            {
                await output.WriteLineAsync(Describe(current)).ConfigureAwait(false);
            }

            return current.Status is "completed" || !parse.GetValue(wait) ? 0 : 1;
        }));

        Command list = new("list", "Lists the coordinator's jobs.");
        AddConnection(list, out Option<string> listUrl, out Option<DirectoryInfo?> listHome, out Option<bool> listJson);
        list.SetAction((parse, ct) => WithClient(parse, listUrl, listHome, async (client, output) =>
        {
            IReadOnlyList<JobOverview> jobs = await client.ListAsync(ct).ConfigureAwait(false);
            if (parse.GetValue(listJson))
            {
                await output.WriteLineAsync("[" + string.Join(",", jobs.Select(Json)) + "]").ConfigureAwait(false);
                return;
            }

            foreach (JobOverview j in jobs)
            {
                await output.WriteLineAsync(string.Create(s_invariant, $"{j.JobId}  {j.Status,-9}  {j.RoundsCompleted}/{j.RoundsTotal} rounds  {j.Name}  consortium {j.Consortium}  submitted {j.SubmittedAt:O}")).ConfigureAwait(false);
            }
        }));

        Argument<string> cancelId = new("id") { Description = "The job id." };
        Command cancel = new("cancel", "Cancels a job; it stops at the next safe point and keeps its completed rounds.") { cancelId };
        AddConnection(cancel, out Option<string> cancelUrl, out Option<DirectoryInfo?> cancelHome, out Option<bool> cancelJson);
        cancel.SetAction((parse, ct) => WithClient(parse, cancelUrl, cancelHome, async (client, output) =>
        {
            JobOverview s = await client.CancelAsync(parse.GetRequiredValue(cancelId), ct).ConfigureAwait(false);
            await output.WriteLineAsync(parse.GetValue(cancelJson) ? Json(s) : Describe(s)).ConfigureAwait(false);
        }));

        job.Subcommands.Add(submit);
        job.Subcommands.Add(status);
        job.Subcommands.Add(list);
        job.Subcommands.Add(cancel);
        job.Subcommands.Add(Model());
        return job;
    }

    /// <summary><c>consortia job model RUN --out FILE</c>: the job's newest committed model as JSON.</summary>
    private static Command Model()
    {
        Argument<string> id = new("run") { Description = "The job id printed by `job submit` (also the run id in the ledgers)." };
        Option<FileInfo> output = new("--out") { Description = "The JSON file to write (layout, values, job, run id, round, hash).", Required = true };
        Command model = new("model", "Writes a job's trained model (its newest committed checkpoint; the final model once completed) as JSON.") { id, output };
        AddConnection(model, out Option<string> url, out Option<DirectoryInfo?> home, out Option<bool> json);
        model.SetAction((parse, ct) => WithClient(parse, url, home, async (client, stdout) =>
        {
            ModelDownload download = await client.GetModelAsync(parse.GetRequiredValue(id), ct).ConfigureAwait(false);
            string hash = Federation.Sites.UpdateHash.Of(download.Values.ToArray());
            if (!string.Equals(hash, download.Sha256, StringComparison.Ordinal))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: the model's values hash to {hash}, the coordinator stated {download.Sha256}; nothing written.").ConfigureAwait(false);
                return 1;
            }

            FileInfo file = parse.GetRequiredValue(output);
            await File.WriteAllTextAsync(file.FullName, ModelJson.Write(download), ct).ConfigureAwait(false);
            string summary = string.Create(s_invariant, $"job {download.JobId} ({download.Name}, {download.Status}): model after round {download.Round} ({download.Values.Count} parameters, sha256 {download.Sha256}) written to {file.FullName}");
            await stdout.WriteLineAsync(parse.GetValue(json) ? ModelJson.Summary(download, file.FullName) : summary).ConfigureAwait(false);
            return 0;
        }));
        return model;
    }

    internal static void AddConnection(Command command, out Option<string> url, out Option<DirectoryInfo?> home, out Option<bool> json)
    {
        url = new Option<string>("--coordinator") { Description = "The coordinator's admin endpoint.", DefaultValueFactory = _ => "https://127.0.0.1:7445" };
        home = new Option<DirectoryInfo?>("--home") { Description = "The coordinator home (for ca.crt.pem and admin.token); default $CONSORTIA_HOME, else the current folder." };
        json = new Option<bool>("--json") { Description = "Prints JSON." };
        command.Options.Add(url);
        command.Options.Add(home);
        command.Options.Add(json);
    }

    internal static Task<int> WithClient(ParseResult parse, Option<string> url, Option<DirectoryInfo?> home, Func<JobAdminClient, TextWriter, Task> action) =>
        WithClient(parse, url, home, async (client, output) =>
        {
            await action(client, output).ConfigureAwait(false);
            return 0;
        });

    internal static async Task<int> WithClient(ParseResult parse, Option<string> url, Option<DirectoryInfo?> home, Func<JobAdminClient, TextWriter, Task<int>> action)
    {
        TextWriter stderr = parse.InvocationConfiguration.Error;
        string folder = parse.GetValue(home)?.FullName ?? Environment.GetEnvironmentVariable("CONSORTIA_HOME") ?? Directory.GetCurrentDirectory();
        string ca = Path.Combine(folder, "ca.crt.pem");
        string token = Path.Combine(folder, "admin.token");
        try
        {
            if (!File.Exists(ca) || !File.Exists(token))
            {
                throw new ConfigurationException($"{folder}: expected ca.crt.pem and admin.token there (the coordinator home made by `consortia provision`); pass --home.");
            }

            string address = parse.GetValue(url)!;
            if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? endpoint) || endpoint.Scheme != Uri.UriSchemeHttps)
            {
                throw new ConfigurationException($"--coordinator: expected the admin endpoint as an https:// URL, got '{address}'.");
            }

            using JobAdminClient client = JobAdminClient.Connect(endpoint, await File.ReadAllTextAsync(ca).ConfigureAwait(false), await File.ReadAllTextAsync(token).ConfigureAwait(false));
            return await action(client, parse.InvocationConfiguration.Output).ConfigureAwait(false);
        }
        catch (ConfigurationException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
        {
            // The coordinator answered, and said why the request cannot be met (e.g. cancelling a job that completed).
            await stderr.WriteLineAsync($"error: {e.Status.Detail}").ConfigureAwait(false);
            return 1;
        }
        catch (RpcException e)
        {
            await stderr.WriteLineAsync($"error: the coordinator refused or could not be reached ({e.StatusCode}): {e.Status.Detail}").ConfigureAwait(false);
            return e.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound ? 2 : 1;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("error: timed out waiting for the job.").ConfigureAwait(false);
            return 3;
        }
    }

    private static string Describe(JobOverview s)
    {
        List<string> lines = [string.Create(s_invariant, $"job {s.JobId} ({s.Name}, consortium {s.Consortium}): {s.Status}, {s.RoundsCompleted}/{s.RoundsTotal} rounds{(string.IsNullOrEmpty(s.Message) ? "" : " — " + s.Message)}")];
        lines.AddRange(s.Rounds.Select(r => RoundLine(r, s.RoundsTotal)));
        if (s.Rounds.Count > 0 && s.Rounds[^1].Privacy.Count > 0)
        {
            // The latest round's figures are cumulative (the job so far), so one line says what the job has cost each site.
            lines.Add(string.Create(s_invariant, $"privacy after round {s.Rounds[^1].Round}: ") + string.Join("; ", s.Rounds[^1].Privacy.Select(PrivacyText)));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static string PrivacyText(SiteEpsilonOverview p) =>
        string.Create(s_invariant, $"{p.Site} ε {p.Epsilon:F3} (δ {p.Delta:G3}, {p.Mechanism})")
        + (p.LifetimeEpsilon is { } spent && p.LifetimeBudget is { } budget ? string.Create(s_invariant, $", lifetime ε {spent:F3} of {budget:F3}") : "");

    private static string RoundLine(RoundOverview r, int total) =>
        string.Create(s_invariant, $"round {r.Round}/{total}: {r.Participants} participants{(r.Aggregated ? "" : ", not aggregated")}")
        + string.Concat(r.Metrics.Select(m => string.Create(s_invariant, $", {m.Kind} {m.Mean:F4}")))
        + (r.Problems.Count > 0 ? "; " + string.Join("; ", r.Problems) : "");

    /// <summary>A job as one JSON object (the admin API's field names, camelCase).</summary>
    private static string Json(JobOverview s)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter w = new(buffer))
        {
            w.WriteStartObject();
            w.WriteString("jobId", s.JobId);
            w.WriteString("name", s.Name);
            w.WriteString("consortium", s.Consortium);
            w.WriteString("status", s.Status);
            w.WriteString("message", s.Message);
            w.WriteNumber("roundsCompleted", s.RoundsCompleted);
            w.WriteNumber("roundsTotal", s.RoundsTotal);
            w.WriteStartArray("rounds");
            foreach (RoundOverview r in s.Rounds)
            {
                w.WriteStartObject();
                w.WriteNumber("round", r.Round);
                w.WriteNumber("participants", r.Participants);
                w.WriteBoolean("aggregated", r.Aggregated);
                w.WriteStartArray("metrics");
                foreach (MetricMean m in r.Metrics)
                {
                    w.WriteStartObject();
                    w.WriteString("kind", m.Kind);
                    w.WriteNumber("mean", m.Mean);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("problems");
                foreach (string problem in r.Problems)
                {
                    w.WriteStringValue(problem);
                }

                w.WriteEndArray();
                w.WriteStartArray("privacy");
                foreach (SiteEpsilonOverview p in r.Privacy)
                {
                    w.WriteStartObject();
                    w.WriteString("site", p.Site);
                    w.WriteNumber("epsilon", p.Epsilon);
                    w.WriteNumber("roundEpsilon", p.RoundEpsilon);
                    w.WriteNumber("delta", p.Delta);
                    w.WriteString("mechanism", p.Mechanism);
                    if (p.LifetimeEpsilon is { } spent && p.LifetimeBudget is { } budget)
                    {
                        w.WriteNumber("lifetimeEpsilon", spent);
                        w.WriteNumber("lifetimeBudget", budget);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("submittedAt", s.SubmittedAt.ToString("O", s_invariant));
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static Option<string> LogFormatOption() => new("--log-format")
    {
        Description = "Log format: text, or json (one structured object per line, for log shippers).",
        DefaultValueFactory = _ => "text",
    };

    private static Action<ILoggingBuilder> Logging(string? format) => builder =>
    {
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.AddFilter("Grpc", LogLevel.Warning);
        if (string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.AddJsonConsole(o => o.JsonWriterOptions = new JsonWriterOptions { Indented = false });
        }
        else
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }
    };
}
