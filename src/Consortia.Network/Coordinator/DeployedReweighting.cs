using Consortia.Data.Contracts;
using Consortia.Federation;
using Consortia.Federation.Fairness;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Network.Transport;
using Consortia.SecureAggregation.Protocol;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>
/// Group reweighting (<c>fairness.reweighting</c>) of a deployed job, the coordinator's part: before round 1 it sends
/// the job's sites a <see cref="ReweightingCountTask"/> and sums their (group, label) training counts — through a
/// SecAgg+ session when the job uses secure aggregation, so that it sees only the sum — and hands the sum (not weights)
/// to the training tasks; each site checks it and computes and applies the weights itself.
/// </summary>
internal sealed partial class DeployedReweighting(CoordinatorServices services, ILogger log)
{
    /// <summary>Collects the summed counts over the job's session.</summary>
    /// <param name="jobId">The job run.</param>
    /// <param name="job">The job (it declares <c>fairness.reweighting</c>).</param>
    /// <param name="session">The job's session with its sites.</param>
    /// <param name="consortium">The job's consortium (its roster checks the session's signatures).</param>
    /// <param name="cancellationToken">Cancels the collection.</param>
    /// <returns>The summed counts (index 2·g + y).</returns>
    /// <exception cref="InvalidDataException">No sum was obtained (the message names the sites' refusals and failures): the job cannot run as its file asks.</exception>
    public async Task<long[]> CollectAsync(string jobId, JobDefinition job, GrpcSiteTransport.JobSession session, HostedConsortium consortium, CancellationToken cancellationToken)
    {
        string name = job.Fairness?.Reweighting ?? throw new ArgumentException("the job declares no fairness.reweighting.", nameof(job));
        SensitiveVariable attribute = job.Fairness.Groups.Single(g => g.Name == name);
        int length = 2 * attribute.Groups.Length;
        SiteId[] sites = [.. session.Roster.OrderBy(s => s.Value, StringComparer.Ordinal)];
        SecureAggregationSettings? secure = job.Engine.SecureAggregation;
        if (secure is not null && sites.Length < 3)
        {
            throw new InvalidDataException($"fairness.reweighting ({name}): the job has {sites.Length} site(s); secure aggregation of the counts needs three (it reveals no smaller sum).");
        }

        SecAggSessionOptions? options = secure is null ? null : CountSessionOptions.For(ReweightingCountTask.SessionJobId(jobId), 0, sites, length, secure, job.Engine.MinimumParticipants);
        SiteTask[] tasks = [.. sites.Select((site, i) => (SiteTask)new ReweightingCountTask(site, new RoundNumber(0))
        {
            SecureSession = options,
            Participant = i + 1,
            JobSha256 = job.ContentSha256,
        })];
        LogStarted(jobId, sites.Length, name, options is not null);
        TimeSpan timeout = services.Config.RoundTimeoutSpan;
        CollectedCounts collected = await FairnessCountCollector.CollectAsync(session, tasks, options, length, consortium.Roster(log), timeout, secure?.StageTimeout ?? timeout, cancellationToken).ConfigureAwait(false);
        if (collected.Sum is not { } sum)
        {
            string problems = string.Join("; ", collected.Refusals.Select(r => $"{r.Site} refused ({r.Rule}): {r.Reason}")
                .Concat(collected.Failures.Select(f => f is Failed failed ? $"{f.Site} failed ({failed.Code}): {failed.Message}" : $"{f.Site} did not answer")));
            throw new InvalidDataException($"fairness.reweighting ({name}): the sites' training counts could not be summed: {collected.Failure}{(problems.Length > 0 ? " (" + problems + ")" : "")}");
        }

        long records = sum.Sum();
        LogSummed(jobId, collected.Contributors.Count, records);
        return sum;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: collecting the (group, label) training counts of {Sites} site(s) for reweighting by {Attribute} (secure aggregation: {Secure})")]
    private partial void LogStarted(string job, int sites, string attribute, bool secure);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: reweighting counts summed over {Sites} site(s) ({Records} records)")]
    private partial void LogSummed(string job, int sites, long records);
}
