using Consortia.Federation.Sites.Guards;
using Consortia.Learning;
using Consortia.Learning.Evaluation;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;

namespace Consortia.Federation.Sites.Local;

/// <summary>
/// Evaluates parameters on the site's local test data and releases the aggregate metrics its policy allows, under the
/// same policy as training: only for an accepted job, inside the schedule, at most the policy's number of evaluations
/// per job (each one written to the ledger), and each metric withheld when computed over fewer records than the minimum
/// cell count.
/// </summary>
/// <remarks>An evaluation answers a query about the site's data with a model the coordinator chose; without these limits a
/// coordinator could probe a site that refused the job, or ask without end.</remarks>
internal sealed class SiteEvaluator
{
    private readonly SiteId _site;
    private readonly SiteTrainer _models; // lends a model instance for the call
    private readonly Dataset _test;
    private readonly IReadOnlyList<MetricKind> _metrics;
    private readonly PolicyGuard _policy;
    private readonly SiteAudit _audit;
    private readonly SiteRoundState? _state; // null only for the red team's unprotected sites: evaluation then skips the policy

    public SiteEvaluator(SiteId site, SiteTrainer models, Dataset test, IReadOnlyList<MetricKind> metrics, PolicyGuard policy, SiteAudit audit, SiteRoundState? state)
    {
        _state = state;
        _site = site;
        _models = models;
        _test = test;
        _metrics = metrics;
        _policy = policy;
        _audit = audit;
    }

    /// <summary>The consortium agreement the site enforces, or <see langword="null"/>: outside it, no evaluation either.</summary>
    public AgreementGuard? Agreement { get; init; }

    /// <summary>The site's personal model, or <see langword="null"/>: with one, each evaluation also releases its metrics.</summary>
    public SitePersonalisation? Personalisation { get; init; }

    public SiteReply Evaluate(EvaluateTask task)
    {
        if (Agreement?.CheckEvaluation(task) is { } outside)
        {
            return outside;
        }

        if (_state is not null && _policy.CheckEvaluation(task, _state) is { } refused)
        {
            return refused;
        }

        if (task.Round.Value > 0)
        {
            // The model to evaluate is the round's aggregate: the site records exactly what it received.
            _audit.AggregateReceived(task.Round, task.Parameters.Values, task.Contributors);
        }

        IReadOnlyList<(MetricKind Kind, double Value)> values = _models.WithModel(model => ModelEvaluator.Evaluate(model, task.Parameters.Values, _test, _metrics));
        MetricValue[] metrics = [.. values.Select(v => _policy.Release(v.Kind, v.Value, _test.Count))];
        MetricValue[]? personal = null;
        if (Personalisation is { } personalisation)
        {
            // Same test data, same metrics, same release rule; the personal parameters stay here.
            personal = [.. _models.WithModel(model => ModelEvaluator.Evaluate(model, personalisation.For(task).Values, _test, _metrics)).Select(v => _policy.Release(v.Kind, v.Value, _test.Count))];
        }

        return new EvaluationCompleted(_site, task.Round, new EvaluationReport(_site, _test.Count, metrics) { Personal = personal });
    }
}
