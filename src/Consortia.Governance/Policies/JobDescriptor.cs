namespace Consortia.Governance.Policies;

/// <summary>What the policy evaluator needs to know about a job; the federation engine maps its job definition to it.</summary>
/// <param name="JobId">The job identifier recorded in the ledger.</param>
/// <param name="Consortium">The consortium the job runs in.</param>
/// <param name="Owner">The person or service that submitted the job.</param>
/// <param name="ModelKind">The model kind, e.g. <c>logistic</c>.</param>
/// <param name="Strategy">The aggregation strategy, e.g. <c>fedavg</c>.</param>
/// <param name="SecureAggregation">Whether updates are masked by secure aggregation.</param>
/// <param name="MinSitesPerAggregate">The minimum number of sites the job promises in every aggregate, or <see langword="null"/> when it declares none.</param>
/// <param name="Dp">The job's differential-privacy settings, or <see langword="null"/> when it uses none.</param>
/// <param name="Outputs">What the job sends out of the site besides its model update (names from <see cref="KnownNames.Outputs"/>).</param>
/// <param name="Columns">The data columns the job reads; empty when it does not declare them (which a policy refuses).</param>
/// <remarks>
/// A training job always sends its model update: masked when <paramref name="SecureAggregation"/> is true
/// (<c>masked-updates</c>), plain otherwise (<c>plain-updates</c>). The evaluator adds that implied output to
/// <paramref name="Outputs"/>, so a job cannot hide an unmasked update by not declaring it.
/// </remarks>
public sealed record JobDescriptor(
    string JobId,
    string Consortium,
    string Owner,
    string ModelKind,
    string Strategy,
    bool SecureAggregation,
    int? MinSitesPerAggregate,
    DpDescriptor? Dp,
    IReadOnlyList<string> Outputs,
    IReadOnlyList<string> Columns)
{
    /// <summary>The number of rounds, when declared; informative (reports).</summary>
    /// <value>Default <see langword="null"/>.</value>
    public int? Rounds { get; init; }

    /// <summary>The purpose code the job declares (<c>purpose:</c> in the job file), checked against a consortium agreement; <see langword="null"/> when it declares none.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? Purpose { get; init; }
}
