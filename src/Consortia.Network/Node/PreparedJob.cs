using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Network.Configuration;

namespace Consortia.Network.Node;

/// <summary>A job a node has prepared: the agent that answers its tasks and what the agent was built from (to build it again on resampled data).</summary>
/// <param name="RunId">The coordinator's job id (the run in the site's ledger).</param>
/// <param name="Job">The job the site accepted.</param>
/// <param name="ManifestSha256">The SHA-256 of the job file as announced (as in the site's ledger).</param>
/// <param name="Membership">The consortium membership the job runs under.</param>
/// <param name="Own">The site's own data, as read for the job.</param>
/// <param name="Policy">The site's policy for the job.</param>
/// <param name="Randomness">The site's randomness for the job.</param>
/// <param name="Build">Builds the job's agent, the same composition, on the given training records.</param>
internal sealed record PreparedJob(string RunId, JobDefinition Job, string ManifestSha256, NodeMembership Membership, SiteData Own, PolicyEvaluator Policy, SiteRandomness Randomness, Func<Dataset, SiteAgent> Build)
{
    /// <summary>The agent answering the job's tasks (replaced once, by one built on the resampled training records).</summary>
    public required SiteAgent Agent { get; set; }

    /// <summary>Whether <see cref="Agent"/> trains on the records resampled by group reweighting.</summary>
    public bool Resampled { get; set; }

    /// <summary>The number of features of the site's data.</summary>
    public int FeatureCount => Own.Train.FeatureCount;
}
