using System.CommandLine;
using System.Globalization;
using Consortia.Network.Configuration;
using Consortia.Network.Node;

namespace Consortia.Cli.Commands;

/// <summary>
/// The site officer's commands for a node whose policy says <c>approval: manual</c>: <c>consortia node jobs</c>,
/// <c>consortia node approve RUN</c> and <c>consortia node reject RUN --reason TEXT</c>. They read and write the
/// node's state folder (its configuration's <c>state:</c>); the running node picks the decision up the next time
/// the coordinator asks and writes it to the site's ledger. See docs/policy.md.
/// </summary>
/// <remarks>Exit codes: 0 = done, 1 = refused (unknown run, decided already), 2 = bad input.</remarks>
internal static class ApprovalCommands
{
    /// <summary><c>node jobs</c>, <c>node approve</c>, <c>node reject</c>.</summary>
    public static IEnumerable<Command> Create() => Create(TimeProvider.System);

    internal static IEnumerable<Command> Create(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Option<FileInfo> config = ConfigOption();
        Command jobs = new("jobs", "Lists the jobs that wait for, or were decided by, the site officer (pending, approved, rejected).") { config };
        jobs.SetAction(parse => WithApprovals(parse, config, approvals =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"RUN",-28} {"STATE",-9} {"JOB",-24} {"OWNER",-20} {"REQUESTED",-17} DECIDED"));
            foreach (ApprovalRecord r in approvals.List())
            {
                string decided = r.DecidedAt is { } at ? string.Create(CultureInfo.InvariantCulture, $"{at:yyyy-MM-dd HH:mm}Z by {r.DecidedBy}{(string.IsNullOrEmpty(r.Note) ? "" : ": " + r.Note)}") : "-";
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Run,-28} {r.State.ToString().ToLowerInvariant(),-9} {r.Job,-24} {r.Owner,-20} {r.RequestedAt:yyyy-MM-dd HH:mm}Z {decided}"));
            }

            return 0;
        }));
        return [jobs, Decide("approve", approve: true, time), Decide("reject", approve: false, time)];
    }

    private static Command Decide(string name, bool approve, TimeProvider time)
    {
        Argument<string> run = new("run") { Description = "The job's run id, as `consortia node jobs` shows it." };
        Option<FileInfo> config = ConfigOption();
        Option<string?> note = new(approve ? "--note" : "--reason") { Description = approve ? "A note for the ledger (e.g. the ethics approval reference)." : "Why the site refuses the job (written to the ledger and shown to the coordinator).", Required = !approve };
        Command command = new(name, approve
            ? "Approves a waiting job: the node takes it the next time the coordinator asks."
            : "Rejects a waiting job: the node refuses it, with the reason, the next time the coordinator asks.")
        {
            run, config, note,
        };
        command.SetAction(parse => WithApprovals(parse, config, approvals =>
        {
            try
            {
                ApprovalRecord decided = approvals.Decide(parse.GetRequiredValue(run), approve, Environment.UserName, parse.GetValue(note), time.GetUtcNow());
                parse.InvocationConfiguration.Output.WriteLine($"{(approve ? "approved" : "rejected")} job {decided.Run} ({decided.Job}, owner {decided.Owner}); the node records it in the site ledger when the coordinator next asks");
                return 0;
            }
            catch (InvalidOperationException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        }));
        return command;
    }

    private static Option<FileInfo> ConfigOption() =>
        new("--config") { Description = "The node's configuration (site.yaml): its state folder holds the approvals.", Required = true };

    private static int WithApprovals(ParseResult parse, Option<FileInfo> config, Func<JobApprovals, int> action)
    {
        try
        {
            NodeConfig settings = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            return action(new JobApprovals(settings.State));
        }
        catch (Exception e) when (e is ConfigurationException or InvalidDataException or IOException)
        {
            parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
