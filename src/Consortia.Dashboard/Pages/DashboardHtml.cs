using System.Globalization;
using System.Text;
using Consortia.Dashboard.Api;
using Consortia.Dashboard.Charts;

namespace Consortia.Dashboard.Pages;

/// <summary>
/// The dashboard's HTML, rendered from the API's documents. Every number is written as the API writes it (shortest
/// round-trip form), in the element's text and in its <c>data-value</c> attribute, so a browser test can compare the
/// page with <c>/api/jobs/{id}</c> exactly. Elements a test looks for carry stable ids and <c>data-*</c> attributes
/// (docs/dashboard.md). No inline script or style: the Content-Security-Policy allows neither.
/// </summary>
internal static class DashboardHtml
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    public static string Login(string? problem)
    {
        StringBuilder h = Open("Log in");
        h.Append("<main id=\"login\"><h1>Consortia dashboard</h1>");
        if (problem is not null)
        {
            h.Append("<p id=\"login-error\" class=\"error\">").Append(E(problem)).Append("</p>");
        }

        h.Append("<form method=\"post\" action=\"/login\"><label for=\"token\">Admin token (<code>admin.token</code>)</label>")
            .Append("<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required>")
            .Append("<button id=\"login-submit\" type=\"submit\">Log in</button></form></main>");
        return Close(h);
    }

    public static string NotFound() => Close(Open("Not found").Append("<main><h1>Not found</h1><p><a href=\"/\">All jobs</a></p></main>"));

    public static string Index(IReadOnlyList<JobSummaryView> jobs, IReadOnlyList<ConsortiumView> consortia, LedgerView ledger)
    {
        StringBuilder h = Open("Jobs");
        Header(h);
        h.Append("<main id=\"index\" data-events=\"/api/jobs/events\" data-live=\"/live\" data-sse=\"connecting\"><h1>Jobs</h1>")
            .Append("<div id=\"index-live\">").Append(IndexLive(jobs, consortia, ledger)).Append("</div>");
        return Close(h.Append("</main>"));
    }

    /// <summary>The live part of the job list page (replaced by the page's script after each server-sent event).</summary>
    public static string IndexLive(IReadOnlyList<JobSummaryView> jobs, IReadOnlyList<ConsortiumView> consortia, LedgerView ledger)
    {
        StringBuilder h = new();
        if (jobs.Count == 0)
        {
            h.Append("<p id=\"jobs-none\">No jobs yet.</p>");
        }

        h.Append("<table id=\"jobs\"><thead><tr><th>id</th><th>name</th><th>consortium</th><th>state</th><th>rounds</th><th>owner</th><th>updated</th></tr></thead><tbody>");
        foreach (JobSummaryView job in jobs)
        {
            h.Append(s_c, $"<tr data-job-id=\"{E(job.Id)}\" data-state=\"{job.State}\">")
                .Append(s_c, $"<td data-field=\"id\"><a href=\"/jobs/{Uri.EscapeDataString(job.Id)}\">{E(job.Id)}</a></td>")
                .Append(s_c, $"<td data-field=\"name\">{E(job.Name)}</td><td data-field=\"consortium\">{E(job.Consortium ?? "")}</td>")
                .Append(s_c, $"<td data-field=\"state\">{job.State}</td>")
                .Append(s_c, $"<td data-field=\"rounds\" data-rounds-completed=\"{job.RoundsCompleted}\" data-total-rounds=\"{job.TotalRounds}\">{job.RoundsCompleted} / {job.TotalRounds}</td>")
                .Append(s_c, $"<td data-field=\"owner\">{E(job.Owner)}</td><td data-field=\"updated_at\">{Time(job.UpdatedAt)}</td></tr>");
        }

        h.Append("</tbody></table><h2>Consortia</h2><table id=\"consortia\"><thead><tr><th>name</th><th>members</th><th>jobs</th><th>ledger head</th></tr></thead><tbody>");
        foreach (ConsortiumView c in consortia)
        {
            h.Append(s_c, $"<tr data-consortium=\"{E(c.Name)}\"><td data-field=\"name\">{E(c.Name)}</td>")
                .Append(s_c, $"<td data-field=\"members\" data-count=\"{c.Members.Count}\">{E(string.Join(", ", c.Members))}</td>")
                .Append(s_c, $"<td data-field=\"jobs\">{c.Jobs}</td>");
            h.Append(c.Ledger is { } head
                ? string.Create(s_c, $"<td data-field=\"ledger\" data-ledger-hash=\"{E(head.Hash)}\" data-ledger-length=\"{head.Length}\"><code>{E(head.Hash)}</code> ({head.Length} entries)</td>")
                : "<td data-field=\"ledger\">none</td>");
            h.Append("</tr>");
        }

        h.Append("</tbody></table>");
        Ledger(h, ledger.Head);
        return h.ToString();
    }

    public static string Job(JobDetailView job)
    {
        string id = Uri.EscapeDataString(job.Job.Id);
        StringBuilder h = Open($"{job.Job.Name} ({job.Job.Id})");
        Header(h);
        h.Append(s_c, $"<main id=\"job-page\" data-job-id=\"{E(job.Job.Id)}\" data-events=\"/api/jobs/{id}/events\" data-live=\"/jobs/{id}/live\" data-sse=\"connecting\">")
            .Append(s_c, $"<h1>{E(job.Job.Name)} <small id=\"job-id\">{E(job.Job.Id)}</small></h1>")
            .Append(s_c, $"<p><a href=\"/\">All jobs</a> · <a href=\"/api/jobs/{id}\">JSON</a></p>")
            .Append("<div id=\"job-live\">").Append(Live(job)).Append("</div></main>");
        return Close(h);
    }

    /// <summary>The live part of a job page (replaced by the page's script after each server-sent event).</summary>
    public static string Live(JobDetailView job)
    {
        StringBuilder h = new();
        JobSummaryView s = job.Job;
        h.Append(s_c, $"<div id=\"job-snapshot\" data-state=\"{s.State}\" data-rounds-completed=\"{s.RoundsCompleted}\">");
        h.Append("<section id=\"progress\"><h2>Progress</h2><p>")
            .Append(s_c, $"state <strong id=\"job-state\" data-state=\"{s.State}\">{s.State}</strong> · round ")
            .Append(s_c, $"<strong id=\"round-counter\" data-rounds-completed=\"{s.RoundsCompleted}\" data-total-rounds=\"{s.TotalRounds}\">{s.RoundsCompleted} / {s.TotalRounds}</strong> ")
            .Append(s_c, $"<progress id=\"round-progress\" max=\"{Math.Max(1, s.TotalRounds)}\" value=\"{s.RoundsCompleted}\"></progress></p>")
            .Append(s_c, $"<p>consortium <span id=\"job-consortium\">{E(s.Consortium ?? "unknown")}</span> · owner {E(s.Owner)} · submitted {Time(s.SubmittedAt)} · updated {Time(s.UpdatedAt)}</p>");
        if (s.StatusMessage is not null)
        {
            h.Append("<p id=\"status-message\">").Append(E(s.StatusMessage)).Append("</p>");
        }

        h.Append("</section>");
        Protections(h, job);
        Metrics(h, job);
        Participants(h, job);
        Privacy(h, job);
        Ledger(h, job.Ledger);
        return h.Append("</div>").ToString();
    }

    private static void Protections(StringBuilder h, JobDetailView job)
    {
        if (job.Protections is not { } p)
        {
            h.Append("<section id=\"protections\" data-secure-aggregation=\"unknown\" data-dp=\"unknown\"><h2>Protections</h2><p>")
                .Append(E($"The job definition could not be read: {job.ProtectionsProblem}")).Append("</p></section>");
            return;
        }

        SecureAggregationView sa = p.SecureAggregation;
        h.Append(s_c, $"<section id=\"protections\" data-secure-aggregation=\"{(sa.Enabled ? "on" : "off")}\" data-dp=\"{p.Dp?.Mode ?? "none"}\"><h2>Protections</h2><dl>")
            .Append(s_c, $"<dt>strategy</dt><dd id=\"strategy\">{E(p.Strategy)}</dd><dt>model</dt><dd>{E(p.Model)}</dd>")
            .Append(s_c, $"<dt>minimum participants</dt><dd id=\"minimum-participants\">{(p.MinimumParticipants is int m ? m.ToString(s_c) : "not set")}</dd>")
            .Append(s_c, $"<dt>secure aggregation</dt><dd id=\"secure-aggregation\" data-enabled=\"{(sa.Enabled ? "true" : "false")}\" data-mode=\"{sa.Mode ?? ""}\" data-threshold=\"{sa.Threshold?.ToString(s_c) ?? ""}\">");
        h.Append(sa.Enabled
            ? string.Create(s_c, $"on: {(sa.Mode == "neighbours" ? $"SecAgg+ with {sa.Neighbours} neighbours" : "every pair of sites")}, threshold {(sa.Threshold is int t ? t.ToString(s_c) : "automatic")}, dropout tolerance {N(sa.DropoutFraction)}; the coordinator sees only the sum")
            : "off: the coordinator sees each site's update");
        h.Append("</dd><dt>differential privacy</dt>");
        h.Append(p.Dp is { } dp
            ? string.Create(s_c, $"<dd id=\"dp\" data-mode=\"{dp.Mode}\" data-target-epsilon=\"{N(dp.TargetEpsilon)}\" data-delta=\"{N(dp.Delta)}\">{dp.Mode.Replace('_', ' ')}, target ε {N(dp.TargetEpsilon)} at δ {N(dp.Delta)}, noise added {(dp.Noise == "central" ? "by the coordinator" : "at the sites")}</dd>")
            : "<dd id=\"dp\" data-mode=\"none\">none</dd>");
        h.Append("</dl></section>");
    }

    private static void Metrics(StringBuilder h, JobDetailView job)
    {
        h.Append("<section id=\"metrics\"><h2>Metrics</h2>");
        RoundView? last = job.Rounds.LastOrDefault(r => r.Evaluation is not null);
        if (last?.Evaluation is not { } e)
        {
            h.Append("<p id=\"metrics-none\">No round evaluated yet.</p>");
        }
        else
        {
            h.Append(s_c, $"<p>Test metrics of the model after round <span id=\"metrics-round\">{last.Round}</span>.</p>");
            h.Append(s_c, $"<table id=\"site-metrics\" data-round=\"{last.Round}\"><thead><tr><th>site</th><th>examples</th>");
            foreach (string metric in job.Metrics)
            {
                h.Append("<th>").Append(E(metric)).Append("</th>");
            }

            h.Append("</tr></thead><tbody>");
            foreach (SiteMetricsView site in e.Sites)
            {
                h.Append(s_c, $"<tr data-site=\"{E(site.Site)}\"><td data-field=\"site\">{E(site.Site)}</td><td data-field=\"examples\" data-value=\"{site.Examples}\">{site.Examples}</td>");
                MetricCells(h, job.Metrics, site.Metrics);
                h.Append("</tr>");
            }

            h.Append("</tbody></table>");
            h.Append(s_c, $"<table id=\"global-metrics\" data-round=\"{last.Round}\"><thead><tr><th>global</th>");
            foreach (string metric in job.Metrics)
            {
                h.Append("<th>").Append(E(metric)).Append("</th>");
            }

            h.Append("</tr></thead><tbody><tr data-aggregate=\"weighted\"><td>example-weighted</td>");
            MetricCells(h, job.Metrics, e.Weighted);
            h.Append("</tr><tr data-aggregate=\"mean\"><td>mean of sites</td>");
            MetricCells(h, job.Metrics, e.Mean);
            h.Append("</tr></tbody></table>");
        }

        h.Append("<div class=\"charts\">");
        foreach (string chart in DashboardCharts.Names(job).Where(c => c != "privacy"))
        {
            h.Append(s_c, $"<figure id=\"chart-{E(chart)}\" data-chart=\"{E(chart)}\">").Append(DashboardCharts.Render(job, chart)).Append("</figure>");
        }

        h.Append("</div></section>");
    }

    private static void MetricCells(StringBuilder h, IReadOnlyList<string> metrics, IReadOnlyList<MetricView> values)
    {
        foreach (string metric in metrics)
        {
            double? value = values.FirstOrDefault(v => v.Metric == metric)?.Value;
            h.Append(s_c, $"<td data-metric=\"{E(metric)}\" data-value=\"{N(value)}\">{Shown(value)}</td>");
        }
    }

    private static void Participants(StringBuilder h, JobDetailView job)
    {
        h.Append("<section id=\"participants\"><h2>Participants per round</h2>")
            .Append("<table id=\"rounds\"><thead><tr><th>round</th><th>contributors</th><th>refusals (rule)</th><th>dropouts</th><th>training loss</th><th>aggregation</th></tr></thead><tbody>");
        foreach (RoundView r in job.Rounds)
        {
            h.Append(s_c, $"<tr data-round=\"{r.Round}\" data-aggregated=\"{(r.Aggregated ? "true" : "false")}\"><td data-field=\"round\">{r.Round}</td>")
                .Append(s_c, $"<td data-field=\"contributors\" data-count=\"{r.Contributors.Count}\">{E(string.Join(", ", r.Contributors))}</td>")
                .Append(s_c, $"<td data-field=\"refusals\" data-count=\"{r.Refusals.Count}\"><ul>");
            foreach (RefusalView x in r.Refusals)
            {
                h.Append(s_c, $"<li data-site=\"{E(x.Site)}\" data-rule=\"{E(x.Rule)}\">{E(x.Site)}: <code>{E(x.Rule)}</code> {E(x.Reason)}</li>");
            }

            h.Append(s_c, $"</ul></td><td data-field=\"failures\" data-count=\"{r.Failures.Count}\"><ul>");
            foreach (FailureView f in r.Failures)
            {
                h.Append(s_c, $"<li data-site=\"{E(f.Site)}\" data-kind=\"{E(f.Kind)}\">{E(f.Site)}: {E(f.Kind)}{(f.Code is null ? "" : $" <code>{E(f.Code)}</code>")}{(f.Message is null ? "" : " " + E(f.Message))}</li>");
            }

            h.Append(s_c, $"</ul></td><td data-field=\"train_loss\" data-value=\"{N(r.TrainLoss)}\">{Shown(r.TrainLoss)}</td>")
                .Append(s_c, $"<td data-field=\"aggregation\">{(r.Aggregated ? "aggregated" : "not aggregated")}{(r.AggregationFailure is null ? "" : ": " + E(r.AggregationFailure))}</td></tr>");
        }

        h.Append("</tbody></table></section>");
    }

    private static void Privacy(StringBuilder h, JobDetailView job)
    {
        h.Append("<section id=\"privacy\"><h2>Privacy: ε spent per site against its budget</h2>");
        if (job.Privacy.Count == 0)
        {
            h.Append("<p id=\"privacy-none\">No site has reported privacy accounting for this job (no differential privacy, or no round yet).</p></section>");
            return;
        }

        h.Append("<p>Each site's own accountant's figures, as the site reported them with its latest update.</p>")
            .Append("<table id=\"privacy-table\"><thead><tr><th>site</th><th>round</th><th>mechanism</th><th>ε this job</th><th>ε last round</th><th>δ</th><th>lifetime ε</th><th>lifetime budget</th><th>budget used</th></tr></thead><tbody>");
        foreach (PrivacyView p in job.Privacy)
        {
            h.Append(s_c, $"<tr data-site=\"{E(p.Site)}\"><td data-field=\"site\">{E(p.Site)}</td><td data-field=\"round\">{p.Round}</td><td data-field=\"mechanism\">{E(p.Mechanism)}</td>");
            Compact(h, "epsilon", p.Epsilon);
            Compact(h, "round_epsilon", p.RoundEpsilon);
            Compact(h, "delta", p.Delta);
            Compact(h, "lifetime_epsilon", p.LifetimeEpsilon);
            Compact(h, "lifetime_budget", p.LifetimeBudget);
            h.Append("<td data-field=\"budget_used\">");
            h.Append(p is { LifetimeEpsilon: double spent, LifetimeBudget: double budget } && budget > 0
                ? string.Create(s_c, $"<meter min=\"0\" max=\"{N(budget)}\" low=\"{N(budget * 0.5)}\" high=\"{N(budget * 0.8)}\" optimum=\"0\" value=\"{N(Math.Min(spent, budget))}\"></meter>")
                : "no budget ledger");
            h.Append("</td></tr>");
        }

        h.Append("</tbody></table>");
        h.Append("<div class=\"charts\"><figure id=\"chart-privacy\" data-chart=\"privacy\">").Append(DashboardCharts.Render(job, "privacy")).Append("</figure></div></section>");
    }

    /// <summary>
    /// A privacy figure to 4 significant digits, so the table of nine columns fits a 1280-pixel screen (ε in its
    /// shortest round-trip form can take 18 characters); the exact value, as the API writes it, is in <c>data-value</c>
    /// and in <c>title</c> (shown on hover).
    /// </summary>
    private static void Compact(StringBuilder h, string field, double? value) =>
        h.Append(s_c, $"<td data-field=\"{field}\" data-value=\"{N(value)}\" title=\"{N(value)}\">{(value is double v ? Compacted(v) : "—")}</td>");

    /// <summary>A number to 4 significant digits (<c>G4</c>: 2.346, 1E-05, 8).</summary>
    internal static string Compacted(double value) => value.ToString("G4", s_c);

    private static void Ledger(StringBuilder h, LedgerHeadView? head)
    {
        h.Append(head is null
            ? "<section id=\"ledger\"><h2>Audit ledger</h2><p id=\"ledger-none\">This run keeps no coordinator ledger.</p></section>"
            : string.Create(s_c, $"<section id=\"ledger\" data-ledger-hash=\"{E(head.Hash)}\" data-ledger-length=\"{head.Length}\"><h2>Audit ledger</h2><p>head <code id=\"ledger-hash\">{E(head.Hash)}</code> after <span id=\"ledger-length\">{head.Length}</span> entries</p></section>"));
    }

    private static void Header(StringBuilder h) =>
        h.Append("<header><a href=\"/\" id=\"home\">Consortia dashboard</a><form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button></form></header>");

    private static StringBuilder Open(string title) => new StringBuilder()
        .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .Append("<title>").Append(E(title)).Append(" · Consortia</title>")
        .Append("<link rel=\"stylesheet\" href=\"/assets/dashboard.css\"><script src=\"/assets/dashboard.js\" defer></script></head><body>");

    private static string Close(StringBuilder h) => h.Append("</body></html>\n").ToString();

    /// <summary>A number as the API writes it (shortest round-trip form), or empty for none.</summary>
    internal static string N(double? value) => value is double v ? v.ToString("R", s_c) : "";

    private static string Shown(double? value) => value is null ? "—" : N(value);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", s_c);

    private static string E(string text) => SvgChart.Escape(text);
}
