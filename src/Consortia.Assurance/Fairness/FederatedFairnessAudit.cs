using Consortia.Data;
using Consortia.Learning.Models;

namespace Consortia.Assurance.Fairness;

/// <summary>The outcome of a simulated federated fairness audit.</summary>
/// <param name="Report">What the coordinator computes from the summed counts.</param>
/// <param name="Withheld">Per site, the cells it suppressed (known only to that site in a deployment).</param>
/// <param name="Pooled">The pooled check.</param>
public sealed record FairnessAuditResult(FairnessReport Report, IReadOnlyDictionary<string, IReadOnlyList<FairnessCell>> Withheld, PooledCheck Pooled);

/// <summary>The outcome of a simulated federated fairness audit of a survival model.</summary>
/// <param name="Report">What the coordinator computes from the summed counts.</param>
/// <param name="Withheld">Per site, the cells it suppressed.</param>
/// <param name="Pooled">The pooled check.</param>
public sealed record SurvivalAuditResult(SurvivalFairnessReport Report, IReadOnlyDictionary<string, IReadOnlyList<FairnessCell>> Withheld, PooledSurvivalCheck Pooled);

/// <summary>
/// Runs a fairness audit over simulated sites: each site computes and suppresses its counts
/// (<see cref="SiteFairnessCounts"/>), the channel sums them, the coordinator reports (<see cref="FairnessReport"/>), and
/// the pooled check recomputes the numbers on the pooled predictions.
/// </summary>
public static class FederatedFairnessAudit
{
    /// <summary>Runs the audit.</summary>
    /// <param name="audit">The audit (its sites are the order of <paramref name="sites"/>).</param>
    /// <param name="sites">Each site's data; its test part is audited.</param>
    /// <param name="spec">The model.</param>
    /// <param name="parameters">The model's parameters (e.g. a job's final global model).</param>
    /// <param name="minimumCellCount">Each site's minimum cell count, from its policy.</param>
    /// <param name="channel">How the counts reach the coordinator.</param>
    /// <returns>The report, what each site withheld, and the pooled check.</returns>
    public static FairnessAuditResult Run(
        FairnessAudit audit, IReadOnlyList<SiteData> sites, ModelSpec spec, ReadOnlyMemory<float> parameters, Func<string, int> minimumCellCount, IFairnessCountChannel channel)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(minimumCellCount);
        ArgumentNullException.ThrowIfNull(channel);
        List<SiteFairnessCounts> sent = [];
        List<PooledSiteRecords> pooled = [];
        foreach (SiteData site in sites)
        {
            // Site side: predictions, groups and counts stay local; only the count vector is handed to the channel.
            IModel model = spec.CreateModel(Math.Max(1, site.Test.Count));
            float[] probabilities = SiteFairnessCounts.Predict(model, parameters.Span, site.Test);
            IReadOnlyList<int[]> groups = SiteFairnessCounts.GroupsOf(audit.Attributes, site, site.Test);
            SiteFairnessCounts counts = SiteFairnessCounts.Compute(audit, site.Name, probabilities, site.Test.Labels, groups, minimumCellCount(site.Name));
            sent.Add(counts);
            pooled.Add(new PooledSiteRecords(site.Name, probabilities, site.Test.Labels.ToArray(), groups, counts.Suppressed.ToHashSet()));
        }

        FairnessReport report = FairnessReport.FromCounts(audit, channel.Sum(sent));
        return new FairnessAuditResult(
            report,
            sent.ToDictionary(s => s.Site, s => (IReadOnlyList<FairnessCell>)s.Suppressed, StringComparer.Ordinal),
            PooledFairnessCheck.Compare(audit, report, pooled));
    }

    /// <summary>Runs the audit of a survival (Cox) model: per-group C-index from within-site pair counts.</summary>
    /// <param name="audit">The audit (its sites are the order of <paramref name="sites"/>).</param>
    /// <param name="sites">Each site's data; its test part (with times) is audited.</param>
    /// <param name="spec">The model (a Cox model).</param>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="minimumCellCount">Each site's minimum cell count, from its policy.</param>
    /// <param name="channel">How the counts reach the coordinator.</param>
    /// <returns>The report, what each site withheld, and the pooled check.</returns>
    /// <exception cref="ArgumentException">The model is not a Cox model or a site's data have no times.</exception>
    public static SurvivalAuditResult RunSurvival(
        FairnessAudit audit, IReadOnlyList<SiteData> sites, ModelSpec spec, ReadOnlyMemory<float> parameters, Func<string, int> minimumCellCount, IFairnessCountChannel channel)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(minimumCellCount);
        ArgumentNullException.ThrowIfNull(channel);
        if (spec.Kind != ModelKind.CoxPh)
        {
            throw new ArgumentException($"A survival fairness audit needs a Cox model; the job's model is {spec.Kind}.", nameof(spec));
        }

        List<SiteFairnessCounts> sent = [];
        List<PooledSurvivalRecords> pooled = [];
        foreach (SiteData site in sites)
        {
            if (!site.Test.HasTimes)
            {
                throw new ArgumentException($"Site '{site.Name}': the test data have no event times; a survival audit needs them.", nameof(sites));
            }

            // Site side: risk scores, groups and pair counts stay local; only the count vector is handed to the channel.
            IModel model = spec.CreateModel(Math.Max(1, site.Test.Count));
            float[] risks = new float[site.Test.Count];
            model.Predict(parameters.Span, site.Test.Features, risks);
            IReadOnlyList<int[]> groups = SiteFairnessCounts.GroupsOf(audit.Attributes, site, site.Test);
            SiteFairnessCounts counts = SurvivalFairnessCounts.Compute(audit, site.Name, risks, site.Test.Times, site.Test.Labels, groups, minimumCellCount(site.Name));
            sent.Add(counts);
            pooled.Add(new PooledSurvivalRecords(site.Name, risks, site.Test.Times.ToArray(), site.Test.Labels.ToArray(), groups, counts.Suppressed.ToHashSet()));
        }

        SurvivalFairnessReport report = SurvivalFairnessReport.FromCounts(audit, channel.Sum(sent));
        return new SurvivalAuditResult(
            report,
            sent.ToDictionary(s => s.Site, s => (IReadOnlyList<FairnessCell>)s.Suppressed, StringComparer.Ordinal),
            PooledSurvivalCheck.Compare(audit, report, pooled));
    }
}
