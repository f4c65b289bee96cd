using Consortia.Governance.Audit.Events;

namespace Consortia.Governance.Audit;

/// <summary>Privacy spending as recorded in a site's ledger.</summary>
public static class LedgerPrivacy
{
    /// <summary>The ε one job has spent: its last recorded cumulative <see cref="PrivacyChargeEvent.JobEpsilon"/>, or 0.</summary>
    /// <param name="entries">The site's ledger entries, in order.</param>
    /// <param name="jobId">The job.</param>
    /// <returns>The job's cumulative ε.</returns>
    public static double JobEpsilon(IEnumerable<LedgerEntry> entries, string jobId)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(jobId);
        return entries.Select(e => e.Event).OfType<PrivacyChargeEvent>()
            .LastOrDefault(c => string.Equals(c.JobId, jobId, StringComparison.Ordinal))?.JobEpsilon ?? 0;
    }

    /// <summary>The ε all jobs have spent at the site: the sum over jobs of each job's last cumulative ε.</summary>
    /// <param name="entries">The site's ledger entries, in order.</param>
    /// <returns>The lifetime ε.</returns>
    /// <remarks>
    /// Jobs compose sequentially (their ε add up), which is conservative; within a job the accountant's cumulative
    /// value is used, never a sum of per-round increments, because Rényi accounting composes more tightly than that.
    /// </remarks>
    public static double LifetimeEpsilon(IEnumerable<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Dictionary<string, double> lastByJob = new(StringComparer.Ordinal);
        foreach (PrivacyChargeEvent charge in entries.Select(e => e.Event).OfType<PrivacyChargeEvent>())
        {
            lastByJob[charge.JobId] = charge.JobEpsilon;
        }

        return lastByJob.Values.Sum();
    }
}
