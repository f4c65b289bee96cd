using System.Globalization;
using Consortia.Network.Protos;

namespace Consortia.Network.Coordinator;

/// <summary>A job as the coordinator's admin API reports it (what <c>consortia job status|list</c> prints).</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Name">The job's name (from its file).</param>
/// <param name="Status">queued, running, completed, failed, cancelled or refused.</param>
/// <param name="Message">Why it failed, was cancelled or refused, or why it waits; empty otherwise.</param>
/// <param name="RoundsCompleted">Rounds committed so far.</param>
/// <param name="RoundsTotal">Rounds the job asks for.</param>
/// <param name="SubmittedAt">When it was submitted (UTC).</param>
/// <param name="Rounds">The committed rounds, oldest first (empty in a list).</param>
public sealed record JobOverview(
    string JobId, string Name, string Status, string Message, int RoundsCompleted, int RoundsTotal, DateTimeOffset SubmittedAt, IReadOnlyList<RoundOverview> Rounds)
{
    /// <summary>The consortium the job runs in (its file's <c>consortium:</c>, or <c>simulation</c> when it names none).</summary>
    public string Consortium { get; init; } = "";

    /// <summary>Whether the job is still queued or running.</summary>
    public bool IsActive => Status is "queued" or "running";

    /// <summary>Maps the wire form (kept inside Network).</summary>
    internal static JobOverview FromWire(JobStatus status) => new(
        status.JobId,
        status.Name,
        status.Status,
        status.Message,
        status.RoundsCompleted,
        status.RoundsTotal,
        DateTimeOffset.TryParse(status.SubmittedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at) ? at : DateTimeOffset.MinValue,
        [.. status.Rounds.Select(r => new RoundOverview(r.Round, r.Participants, r.Aggregated, [.. r.Metrics.Select(m => new MetricMean(m.Kind, m.Mean))], [.. r.Problems])
        {
            Privacy = [.. r.Privacy.Select(p => new SiteEpsilonOverview(p.Site, p.Epsilon, p.RoundEpsilon, p.Delta, p.Mechanism, p.HasLifetimeEpsilon ? p.LifetimeEpsilon : null, p.HasLifetimeBudget ? p.LifetimeBudget : null))],
        })])
    {
        Consortium = status.Consortium,
    };
}

/// <summary>One committed round of a job.</summary>
/// <param name="Round">The round number (from 1).</param>
/// <param name="Participants">Sites whose update entered the aggregate.</param>
/// <param name="Aggregated">Whether the round produced a new global model.</param>
/// <param name="Metrics">Means over the sites, when the round evaluated.</param>
/// <param name="Problems">Refusals and failures, with their codes.</param>
public sealed record RoundOverview(int Round, int Participants, bool Aggregated, IReadOnlyList<MetricMean> Metrics, IReadOnlyList<string> Problems)
{
    /// <summary>DP jobs: what the job has cost each contributor so far, as the site reported it with its update; empty without DP.</summary>
    public IReadOnlyList<SiteEpsilonOverview> Privacy { get; init; } = [];
}

/// <summary>One site's own privacy accounting after a round (its report, as the coordinator stored it).</summary>
/// <param name="Site">The site.</param>
/// <param name="Epsilon">ε of the job at the site so far.</param>
/// <param name="RoundEpsilon">ε of the round alone.</param>
/// <param name="Delta">δ.</param>
/// <param name="Mechanism">The mechanism the site charged.</param>
/// <param name="LifetimeEpsilon">ε spent at the site over all its jobs, or <see langword="null"/> when it keeps no ledger.</param>
/// <param name="LifetimeBudget">The site's lifetime ε budget, or <see langword="null"/>.</param>
public sealed record SiteEpsilonOverview(string Site, double Epsilon, double RoundEpsilon, double Delta, string Mechanism, double? LifetimeEpsilon, double? LifetimeBudget);

/// <summary>A metric's mean over the evaluating sites.</summary>
/// <param name="Kind">The metric's report name, e.g. <c>accuracy</c>.</param>
/// <param name="Mean">Its mean.</param>
public sealed record MetricMean(string Kind, double Mean);
