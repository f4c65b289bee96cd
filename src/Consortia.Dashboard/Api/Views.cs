namespace Consortia.Dashboard.Api;

// The JSON API's documents (docs/dashboard.md), serialised in snake_case. Pages render from the same records, so the
// numbers a page shows are the numbers the API returns. Non-finite numbers (a training loss when nobody trained) are
// null. Only aggregates the coordinator's store already holds; nothing patient-level.

/// <summary>A job in the job list.</summary>
internal sealed record JobSummaryView(
    string Id, string Name, string Owner, string State, int RoundsCompleted, int TotalRounds, string? StatusMessage,
    bool CancelRequested, string? Consortium, DateTimeOffset SubmittedAt, DateTimeOffset UpdatedAt);

/// <summary>One job with everything its page shows.</summary>
internal sealed record JobDetailView(
    JobSummaryView Job, ProtectionsView? Protections, string? ProtectionsProblem, IReadOnlyList<string> Sites,
    IReadOnlyList<string> Metrics, IReadOnlyList<RoundView> Rounds, IReadOnlyList<PrivacyView> Privacy, LedgerHeadView? Ledger);

/// <summary>A committed round.</summary>
internal sealed record RoundView(
    int Round, DateTimeOffset CompletedAt, IReadOnlyList<string> Contributors, IReadOnlyList<RefusalView> Refusals,
    IReadOnlyList<FailureView> Failures, double? TrainLoss, bool Aggregated, string? AggregationFailure, double ElapsedSeconds,
    EvaluationView? Evaluation, IReadOnlyList<UpdateHashView> UpdateHashes, IReadOnlyList<PrivacyView> Privacy);

/// <summary>A site that refused a round, with the rule of its policy.</summary>
internal sealed record RefusalView(string Site, string Rule, string Reason);

/// <summary>A site that dropped out of a round: <c>failed</c> (with code and message) or <c>missed</c> (the deadline).</summary>
internal sealed record FailureView(string Site, string Kind, string? Code, string? Message);

/// <summary>The federated evaluation of a round's model: global (mean and example-weighted) and per site.</summary>
internal sealed record EvaluationView(IReadOnlyList<MetricView> Mean, IReadOnlyList<MetricView> Weighted, IReadOnlyList<SiteMetricsView> Sites);

/// <summary>One metric value.</summary>
internal sealed record MetricView(string Metric, double? Value);

/// <summary>One site's evaluation.</summary>
internal sealed record SiteMetricsView(string Site, int Examples, IReadOnlyList<MetricView> Metrics);

/// <summary>The SHA-256 of a contributor's update as the coordinator received it.</summary>
internal sealed record UpdateHashView(string Site, string Sha256);

/// <summary>A site's own privacy accounting, as it reported it (ε of this job, lifetime ε, lifetime budget).</summary>
internal sealed record PrivacyView(
    string Site, int Round, string Mechanism, double? Epsilon, double? RoundEpsilon, double Delta, double NoiseMultiplier,
    double SampleRate, long Steps, double? LifetimeEpsilon, double? LifetimeBudget);

/// <summary>The protections the job definition puts in force.</summary>
internal sealed record ProtectionsView(
    string Strategy, string Model, int Rounds, int? MinimumParticipants, SecureAggregationView SecureAggregation, DpView? Dp);

/// <summary>Secure aggregation as configured: <c>full</c> (every pair of sites) or <c>neighbours</c> (SecAgg+ with k neighbours).</summary>
internal sealed record SecureAggregationView(bool Enabled, string? Mode, int? Neighbours, int? Threshold, double? DropoutFraction);

/// <summary>Differential privacy as configured: mode <c>sample_level</c> (DP-SGD) or <c>client_level</c>; noise <c>central</c> or <c>site</c>.</summary>
internal sealed record DpView(string Mode, double? TargetEpsilon, double Delta, string Noise);

/// <summary>A consortium.</summary>
internal sealed record ConsortiumView(string Name, IReadOnlyList<string> Members, int Jobs, LedgerHeadView? Ledger);

/// <summary>An audit ledger's head.</summary>
internal sealed record LedgerHeadView(string Hash, long Length);

/// <summary>The coordinator's ledger head (<c>/api/ledger</c>); <see langword="null"/> head when it keeps none.</summary>
internal sealed record LedgerView(LedgerHeadView? Head);
