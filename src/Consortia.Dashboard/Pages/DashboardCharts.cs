using Consortia.Dashboard.Api;
using Consortia.Dashboard.Charts;

namespace Consortia.Dashboard.Pages;

/// <summary>The job page's charts, drawn server-side as SVG from the same documents the API returns.</summary>
internal static class DashboardCharts
{
    /// <summary>The series name of the example-weighted global value in metric charts.</summary>
    public const string Global = "global (weighted)";

    /// <summary>The chart names a job has: <c>loss</c>, one per metric, and <c>privacy</c> when sites reported ε.</summary>
    public static IEnumerable<string> Names(JobDetailView job)
    {
        yield return "loss";
        foreach (string metric in job.Metrics)
        {
            yield return metric;
        }

        if (job.Privacy.Count > 0)
        {
            yield return "privacy";
        }
    }

    /// <summary>One chart, or <see langword="null"/> when the job has no chart of that name.</summary>
    public static string? Render(JobDetailView job, string name)
    {
        if (string.Equals(name, "loss", StringComparison.Ordinal))
        {
            return SvgChart.Lines("Training loss (example-weighted mean)", "round", "loss",
                [new ChartSeries("all sites", [.. job.Rounds.Where(r => r.TrainLoss is not null).Select(r => ((double)r.Round, r.TrainLoss!.Value))], Emphasis: true)]);
        }

        if (string.Equals(name, "privacy", StringComparison.Ordinal))
        {
            if (job.Privacy.Count == 0)
            {
                return null;
            }

            double top = job.Privacy.Max(p => Math.Max(p.Epsilon ?? 0, Math.Max(p.LifetimeEpsilon ?? 0, p.LifetimeBudget ?? 0)));
            return SvgChart.Bars("ε spent per site against its budget", "ε", [.. job.Privacy.Select(p => p.Site)],
                [
                    ("this job", [.. job.Privacy.Select(p => p.Epsilon ?? double.NaN)]),
                    ("lifetime", [.. job.Privacy.Select(p => p.LifetimeEpsilon ?? double.NaN)]),
                    ("lifetime budget", [.. job.Privacy.Select(p => p.LifetimeBudget ?? double.NaN)]),
                ],
                0, top > 0 ? top * 1.1 : 1);
        }

        if (!job.Metrics.Contains(name, StringComparer.Ordinal))
        {
            return null;
        }

        RoundView[] evaluated = [.. job.Rounds.Where(r => r.Evaluation is not null)];
        List<ChartSeries> series = [.. job.Sites.Select(site => new ChartSeries(site, [.. evaluated
            .Select(r => (r.Round, Value: r.Evaluation!.Sites.FirstOrDefault(s => s.Site == site)?.Metrics.FirstOrDefault(m => m.Metric == name)?.Value))
            .Where(p => p.Value is not null)
            .Select(p => ((double)p.Round, p.Value!.Value))]))];
        series.Add(new ChartSeries(Global, [.. evaluated
            .Select(r => (r.Round, Value: r.Evaluation!.Weighted.FirstOrDefault(m => m.Metric == name)?.Value))
            .Where(p => p.Value is not null)
            .Select(p => ((double)p.Round, p.Value!.Value))], Emphasis: true));
        return SvgChart.Lines($"Test {name} per site and global", "round", name, series);
    }
}
