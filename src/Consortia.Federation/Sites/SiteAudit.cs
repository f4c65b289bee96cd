using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;

namespace Consortia.Federation.Sites;

/// <summary>What a site writes to its own audit ledger for one job; without a ledger every call does nothing.</summary>
/// <remarks>Every component of the site writes through this one class, so the events and their fields stay in one place.</remarks>
internal sealed class SiteAudit
{
    private readonly AuditLedger? _ledger;

    /// <summary>Creates the site's audit for <paramref name="jobId"/>.</summary>
    /// <param name="ledger">The site's ledger, or <see langword="null"/> when none is kept.</param>
    /// <param name="jobId">The job the entries belong to.</param>
    /// <param name="runId">The run of the job (written beside the name, so runs of one name stay apart), or <see langword="null"/>.</param>
    public SiteAudit(AuditLedger? ledger, string jobId, string? runId = null)
    {
        _ledger = ledger;
        JobId = jobId;
        RunId = runId;
    }

    public string JobId { get; }

    public string? RunId { get; }

    public void PolicyDecision(int? round, Governance.Policies.PolicyDecision decision) =>
        _ledger?.Append(PolicyDecisionEvent.From(JobId, round, decision) with { RunId = RunId });

    /// <summary>Writes a configuration-change entry when the policy in force differs from the last one this ledger saw.</summary>
    public void PolicyInForce(Governance.Policies.PolicyDecision decision)
    {
        if (_ledger is null || decision.PolicySha256 is not { } current)
        {
            return;
        }

        string? previous = _ledger.ReadEntries()
            .Select(e => e.Event)
            .OfType<ConfigurationChangeEvent>()
            .LastOrDefault(e => e.Item == "site-policy")?.NewSha256;
        if (previous != current)
        {
            _ledger.Append(new ConfigurationChangeEvent("site-policy", previous, current, $"site policy version {decision.PolicyVersion} in force"));
        }
    }

    /// <summary>
    /// Writes a configuration-change entry when the site's randomness differs from the last one this ledger saw: a
    /// ledger shows from which entry on a site's noise and sampling were seeded, that is, not private.
    /// </summary>
    public void RandomnessInForce(bool isPrivate)
    {
        if (_ledger is null)
        {
            return;
        }

        string mode = isPrivate ? "cryptographic" : "seeded";
        string current = Sha256Hex.OfText(mode);
        string? previous = _ledger.ReadEntries()
            .Select(e => e.Event)
            .OfType<ConfigurationChangeEvent>()
            .LastOrDefault(e => e.Item == "site-randomness")?.NewSha256;
        if (previous != current && (previous is not null || !isPrivate))
        {
            _ledger.Append(new ConfigurationChangeEvent(
                "site-randomness", previous, current,
                isPrivate ? "site randomness (DP noise, sampling, rounding): cryptographic, private to the site"
                          : "site randomness (DP noise, sampling, rounding): seeded from the job seed, NOT private (simulation or 'randomness: seeded')"));
        }
    }

    /// <summary>A task refused by a site-side check (not a policy rule): written as a refused decision naming the check.</summary>
    public void TaskRefused(RoundNumber round, string rule, string reason, SitePolicy? policy) =>
        _ledger?.Append(new PolicyDecisionEvent(JobId, round.Value, false, policy?.Version, policy?.Sha256, [new RuleResult(rule, false, reason)]));

    /// <summary>An evaluation the site released: written as an accepted decision of the evaluation cap, with the count.</summary>
    public void EvaluationReleased(RoundNumber round, string rule, string reason, SitePolicy? policy) =>
        _ledger?.Append(new PolicyDecisionEvent(JobId, round.Value, true, policy?.Version, policy?.Sha256, [new RuleResult(rule, true, reason)]));

    public void PrivacyCharge(RoundNumber round, DpMode mode, double jobEpsilon, double delta) =>
        _ledger?.Append(new PrivacyChargeEvent(JobId, round.Value, mode, jobEpsilon, delta) { RunId = RunId });

    public void RoundTrained(RoundNumber round, long examplesSeen) =>
        _ledger?.Append(new RoundTrainedEvent(JobId, round.Value, examplesSeen) { RunId = RunId });

    public void PlainUpdateSent(RoundNumber round, ReadOnlySpan<float> update) =>
        _ledger?.Append(new UpdateSentEvent(JobId, round.Value, UpdateHash.Of(update), update.Length * sizeof(float), UpdateKind.Plain) { RunId = RunId });

    public void MaskedUpdateSent(RoundNumber round, ReadOnlySpan<uint> masked) =>
        _ledger?.Append(new UpdateSentEvent(JobId, round.Value, UpdateHash.Of(masked), masked.Length * sizeof(uint), UpdateKind.Masked) { RunId = RunId });

    public void AggregateReceived(RoundNumber round, ReadOnlySpan<float> aggregate, int contributors) =>
        _ledger?.Append(new AggregateReceivedEvent(JobId, round.Value, UpdateHash.Of(aggregate), contributors) { RunId = RunId });
}
