using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning.Metrics;
using Consortia.Governance.Policies;

namespace Consortia.Dashboard.Api;

/// <summary>Builds the API's documents from the sources (store, job definitions, consortia, ledger): the one place that reads them.</summary>
internal sealed class JobViews(DashboardOptions options)
{
    /// <summary>What each job's YAML says (it never changes for a job id), so live views do not parse it on every poll.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (JobDefinition? Definition, string? Problem)> _definitions = new(StringComparer.Ordinal);

    public IReadOnlyList<JobSummaryView> Jobs() => [.. options.Jobs.ListJobs().Select(Summary)];

    public JobSummaryView Summary(JobRecord job) => new(
        job.Id, job.Name, job.Owner, job.State.ToString().ToLowerInvariant(), job.RoundsCompleted, job.TotalRounds,
        job.StatusMessage, job.CancelRequested, ConsortiumOf(job), job.SubmittedAt, job.UpdatedAt);

    /// <summary>A job's page data, or <see langword="null"/> when there is no such job.</summary>
    public JobDetailView? Detail(string jobId)
    {
        JobRecord? job = options.Jobs.FindJob(jobId);
        if (job is null)
        {
            return null;
        }

        RoundView[] rounds = [.. options.Jobs.GetRounds(jobId).Select(Round)];
        (ProtectionsView? protections, string? problem) = Protections(job);
        string[] sites = [.. rounds.SelectMany(SitesOf).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        string[] metrics = [.. rounds.SelectMany(r => r.Evaluation?.Weighted ?? []).Select(m => m.Metric).Distinct(StringComparer.Ordinal)];
        return new JobDetailView(Summary(job), protections, problem, sites, metrics, rounds, LatestPrivacy(rounds), Head(options.Ledger()));
    }

    public IReadOnlyList<RoundView> Rounds(string jobId, int after) =>
        [.. options.Jobs.GetRounds(jobId).Where(r => r.Round.Value > after).Select(Round)];

    public IReadOnlyList<ConsortiumView> Consortia()
    {
        IReadOnlyList<JobRecord> jobs = options.Jobs.ListJobs();
        return [.. options.Consortia().Select(c => new ConsortiumView(
            c.Name, c.Members, jobs.Count(j => string.Equals(ConsortiumOf(j), c.Name, StringComparison.Ordinal)), Head(c.Ledger)))];
    }

    public LedgerView Ledger() => new(Head(options.Ledger()));

    private string? ConsortiumOf(JobRecord job)
    {
        if (options.ConsortiumOf is { } of)
        {
            return of(job);
        }

        return Definition(job).Definition?.Consortium;
    }

    internal static RoundView Round(StoredRound stored)
    {
        RoundReport r = stored.Report;
        return new RoundView(
            r.Round.Value,
            stored.CompletedAt,
            [.. r.Contributors.Select(s => s.Value)],
            [.. r.Refusals.Select(x => new RefusalView(x.Site.Value, x.Rule, x.Reason))],
            [.. r.Failures.Select(Failure)],
            Finite(r.TrainLoss),
            r.Aggregated,
            r.AggregationFailure,
            r.Elapsed.TotalSeconds,
            r.Evaluation is { } e ? Evaluation(e) : null,
            [.. r.UpdateHashes.Select(h => new UpdateHashView(h.Key.Value, h.Value))],
            [.. r.Privacy.Select(p => Privacy(p, r.Round.Value))]);
    }

    private static FailureView Failure(SiteReply reply) => reply switch
    {
        Failed f => new FailureView(f.Site.Value, "failed", f.Code, f.Message),
        Missed m => new FailureView(m.Site.Value, "missed", null, null),
        Refused x => new FailureView(x.Site.Value, "refused", x.Rule, x.Reason),
        _ => new FailureView(reply.Site.Value, "unexpected-reply", null, null),
    };

    private static EvaluationView Evaluation(MetricSummary summary) => new(
        Metrics(summary.Mean), Metrics(summary.Weighted),
        [.. summary.Sites.Select(s => new SiteMetricsView(s.Site.Value, s.Examples, Metrics(s.Metrics)))]);

    private static MetricView[] Metrics(IReadOnlyList<MetricValue> values) => [.. values.Select(v => new MetricView(v.Kind.ReportName(), Finite(v.Value)))];

    private static PrivacyView Privacy(SitePrivacyReport p, int round) => new(
        p.Site.Value, round, p.Mechanism, Finite(p.Epsilon), Finite(p.RoundEpsilon), p.Delta, p.NoiseMultiplier, p.SampleRate, p.Steps,
        p.LifetimeEpsilon is double l ? Finite(l) : null, p.LifetimeBudget is double b ? Finite(b) : null);

    /// <summary>Each site's latest report: ε grows over rounds, so the last round a site reported in holds its figures now.</summary>
    private static PrivacyView[] LatestPrivacy(IReadOnlyList<RoundView> rounds)
    {
        Dictionary<string, PrivacyView> latest = new(StringComparer.Ordinal);
        foreach (PrivacyView p in rounds.SelectMany(r => r.Privacy))
        {
            latest[p.Site] = p;
        }

        return [.. latest.Values.OrderBy(p => p.Site, StringComparer.Ordinal)];
    }

    private static IEnumerable<string> SitesOf(RoundView r) =>
        r.Contributors.Concat(r.Refusals.Select(x => x.Site)).Concat(r.Failures.Select(x => x.Site)).Concat(r.Evaluation?.Sites.Select(s => s.Site) ?? []);

    private (ProtectionsView?, string?) Protections(JobRecord job)
    {
        (JobDefinition? definition, string? problem) = Definition(job);
        if (definition is null)
        {
            return (null, problem);
        }

        JobDescriptor described = definition.Describe();
        Federation.SecureAggregation.SecureAggregationSettings? secure = definition.Engine.SecureAggregation ?? definition.ClientDp?.SecureAggregation;
        SecureAggregationView secureView = secure is null
            ? new SecureAggregationView(false, null, null, null, null)
            : new SecureAggregationView(true, secure.Neighbours is null ? "full" : "neighbours", secure.Neighbours, secure.Threshold, secure.DropoutFraction);
        DpView? dp = described.Dp is { } d
            ? new DpView(
                d.Mode == DpMode.SampleLevel ? "sample_level" : "client_level",
                Finite(d.Epsilon),
                d.Delta,
                d.Mode == DpMode.SampleLevel ? "site" : d.CentralNoise ? "central" : "site")
            : null;
        return (new ProtectionsView(described.Strategy, described.ModelKind, definition.Engine.Rounds, described.MinSitesPerAggregate, secureView, dp), null);
    }

    private (JobDefinition? Definition, string? Problem) Definition(JobRecord job) => _definitions.GetOrAdd(job.Id, static (_, record) =>
    {
        try
        {
            return (JobRunner.ParseStoredJob(record), null);
        }
        catch (JobFileException e)
        {
            // A job built in code (tests, benchmarks) stores its name instead of YAML: show the rounds without protections.
            return (null, e.Message);
        }
    }, job);

    private static LedgerHeadView? Head(LedgerHead? head) => head is null ? null : new LedgerHeadView(head.Hash, head.Length);

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
