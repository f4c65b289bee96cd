using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Consortia.Cli.Demo;

/// <summary>One job of a consortium in the demonstration.</summary>
/// <param name="Id">The coordinator's job id (the run id in every ledger).</param>
/// <param name="Name">The job's name.</param>
/// <param name="State">Its final state: completed, refused, failed, cancelled.</param>
/// <param name="Participants">The sites whose updates entered at least one of its aggregates (from the consortium's ledger).</param>
/// <param name="Final">The mean over the sites of each metric of its last evaluated round; empty when none evaluated.</param>
/// <param name="StartedAt">When it started running (its job-received entry in the consortium's ledger); none when it never ran.</param>
/// <param name="EndedAt">When it ended (its model release, else its last entry); none when it never ran.</param>
/// <param name="Message">Why it was refused or failed; empty otherwise.</param>
internal sealed record DemoJob(
    string Id, string Name, string State, IReadOnlyList<string> Participants, IReadOnlyDictionary<string, double> Final, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string Message)
{
    /// <summary>Whether this job's running interval overlaps <paramref name="other"/>'s.</summary>
    public bool Overlaps(DemoJob other) =>
        StartedAt is { } s1 && EndedAt is { } e1 && other.StartedAt is { } s2 && other.EndedAt is { } e2 && s1 < e2 && s2 < e1;
}

/// <summary>A refusal of a job under its consortium's agreement.</summary>
/// <param name="Job">The refused job's id.</param>
/// <param name="Clause">The clause (rule) broken.</param>
/// <param name="By"><c>coordinator</c> or the refusing site.</param>
/// <param name="Reason">Why, as the refuser recorded it.</param>
internal sealed record DemoRefusal(string Job, string Clause, string By, string Reason);

/// <summary>One consortium of the demonstration.</summary>
/// <param name="Name">Its name (its agreement's and jobs' <c>consortium:</c>).</param>
/// <param name="Members">The sites of its roster at the end.</param>
/// <param name="Jobs">Its jobs, in submission order.</param>
/// <param name="Refusals">Every refusal its compliance report lists (the coordinator's, then the sites').</param>
internal sealed record DemoConsortium(string Name, IReadOnlyList<string> Members, IReadOnlyList<DemoJob> Jobs, IReadOnlyList<DemoRefusal> Refusals);

/// <summary>One claim the demonstration checks about itself.</summary>
/// <param name="Name">A short name.</param>
/// <param name="Passed">Whether it holds.</param>
/// <param name="Detail">What was seen.</param>
internal sealed record DemoCheck(string Name, bool Passed, string Detail);

/// <summary>What <c>consortia demo virtual-consortia</c> shows: the consortia, their jobs and refusals, and its checks.</summary>
/// <param name="Consortia">The two consortia.</param>
/// <param name="Checks">The claims, each with whether it held.</param>
/// <param name="Out">The folder holding the reports, DUAs and ledgers.</param>
internal sealed record DemoSummary(IReadOnlyList<DemoConsortium> Consortia, IReadOnlyList<DemoCheck> Checks, string Out)
{
    /// <summary>Whether every check held.</summary>
    public bool AllPassed => Checks.All(c => c.Passed);

    /// <summary>The summary as one JSON document: <c>{"consortia": [{"name", "members", "jobs", "refusals"}], "checks", "out"}</c>.</summary>
    public string ToJson()
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("consortia");
            foreach (DemoConsortium c in Consortia)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                Strings(w, "members", c.Members);
                w.WriteStartArray("jobs");
                foreach (DemoJob j in c.Jobs)
                {
                    w.WriteStartObject();
                    w.WriteString("id", j.Id);
                    w.WriteString("name", j.Name);
                    w.WriteString("state", j.State);
                    Strings(w, "participants", j.Participants);
                    w.WriteStartObject("final");
                    foreach ((string metric, double value) in j.Final)
                    {
                        w.WriteNumber(metric, value);
                    }

                    w.WriteEndObject();
                    Time(w, "started_at", j.StartedAt);
                    Time(w, "ended_at", j.EndedAt);
                    w.WriteString("message", j.Message);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("refusals");
                foreach (DemoRefusal r in c.Refusals)
                {
                    w.WriteStartObject();
                    w.WriteString("job", r.Job);
                    w.WriteString("clause", r.Clause);
                    w.WriteString("by", r.By);
                    w.WriteString("reason", r.Reason);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("checks");
            foreach (DemoCheck check in Checks)
            {
                w.WriteStartObject();
                w.WriteString("name", check.Name);
                w.WriteBoolean("passed", check.Passed);
                w.WriteString("detail", check.Detail);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("out", Out);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }

    /// <summary>The summary for a terminal.</summary>
    public string ToText()
    {
        CultureInfo ci = CultureInfo.InvariantCulture;
        StringBuilder text = new();
        foreach (DemoConsortium c in Consortia)
        {
            text.AppendLine(ci, $"consortium {c.Name}: members {string.Join(", ", c.Members)}");
            foreach (DemoJob j in c.Jobs)
            {
                string when = j.StartedAt is { } s && j.EndedAt is { } e ? $" {s:HH:mm:ss.fff}-{e:HH:mm:ss.fff}" : "";
                string final = string.Join(", ", j.Final.Select(m => string.Create(ci, $"{m.Key} {m.Value:F4}")));
                text.AppendLine(ci, $"  job {j.Id} {j.Name}: {j.State}{when}; participants {(j.Participants.Count == 0 ? "none" : string.Join(", ", j.Participants))}{(final.Length > 0 ? "; " + final : "")}");
            }

            foreach (DemoRefusal r in c.Refusals)
            {
                text.AppendLine(ci, $"  refused job {r.Job} by {r.By}: {r.Clause}: {r.Reason}");
            }
        }

        foreach (DemoCheck check in Checks)
        {
            text.AppendLine(ci, $"{(check.Passed ? "ok  " : "FAIL")} {check.Name}: {check.Detail}");
        }

        text.AppendLine(ci, $"reports, DUAs and ledgers in {Out}");
        return text.ToString();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> items)
    {
        w.WriteStartArray(name);
        foreach (string item in items)
        {
            w.WriteStringValue(item);
        }

        w.WriteEndArray();
    }

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? at)
    {
        if (at is { } value)
        {
            w.WriteString(name, value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
