using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Verification;

namespace Consortia.Governance.Reports;

/// <summary>Builds a <see cref="ComplianceReport"/> from the ledgers and the job manifest.</summary>
/// <remarks>
/// Every ledger is verified first; the contents of a ledger that does not verify are not used, and the report says so.
/// The report is deterministic for given files and <see cref="ComplianceReportInput.GeneratedAt"/>.
/// </remarks>
public static class ComplianceReportBuilder
{
    /// <summary>Builds the report.</summary>
    /// <param name="input">The manifest, the job read from it, ledgers and generation time.</param>
    /// <returns>The report.</returns>
    public static ComplianceReport Build(ComplianceReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        JobDescriptor job = input.Job;
        string jobId = input.JobId ?? job.JobId;
        string manifestSha256 = Sha256Hex.OfText(input.ManifestText);

        LedgerVerification coordinator = VerifyWithKnownKey(input.CoordinatorLedgerPath, input.Keys);
        LedgerContents? coordinatorContents = coordinator.IsValid ? LedgerReader.Read(input.CoordinatorLedgerPath) : null;
        List<LedgerEvent> coordinatorEvents = coordinatorContents is null ? [] : ForJob(coordinatorContents, jobId);

        List<ManifestHashCheck> manifestHashes = [];
        if (coordinatorContents is not null)
        {
            manifestHashes.Add(ManifestCheck(coordinatorContents.Header.WriterId, coordinatorEvents, manifestSha256));
        }

        List<RoundParticipation> rounds = coordinatorEvents.OfType<RoundCompletedEvent>()
            .Select(r => new RoundParticipation(r.Round, r.Updates.Select(u => u.SiteId).ToList(), r.AggregateSha256))
            .OrderBy(r => r.Round)
            .ToList();

        SortedDictionary<string, SiteCompliance> sites = new(StringComparer.Ordinal);
        foreach (string path in input.SiteLedgerPaths)
        {
            LedgerVerification verification = VerifyWithKnownKey(path, input.Keys);
            string siteId = verification.WriterId ?? Path.GetFileNameWithoutExtension(path);
            LedgerPublicKey? siteKey = verification.WriterId is { } w && input.Keys?.GetValueOrDefault(w) is { } k ? k : null;
            LedgerPublicKey? coordinatorKey = coordinator.WriterId is { } c && input.Keys?.GetValueOrDefault(c) is { } ck ? ck : null;
            CrossCheckResult crossCheck = LedgerVerifier.CrossCheck(input.CoordinatorLedgerPath, path, coordinatorKey, siteKey);
            if (!verification.IsValid)
            {
                sites[siteId] = new SiteCompliance(siteId, verification, null, 0, [], 0, [], null, crossCheck);
                continue;
            }

            LedgerContents contents = LedgerReader.Read(path);
            List<LedgerEvent> events = ForJob(contents, jobId);
            manifestHashes.Add(ManifestCheck(siteId, events, manifestSha256));
            List<PolicyDecisionEvent> decisions = events.OfType<PolicyDecisionEvent>().ToList();
            sites[siteId] = new SiteCompliance(
                siteId,
                verification,
                decisions.LastOrDefault(d => d.Round is null),
                decisions.Count(d => d.Round is not null && d.Accepted),
                decisions.Where(d => d.Round is not null && !d.Accepted).ToList(),
                events.OfType<RoundTrainedEvent>().Count(),
                events.OfType<UpdateSentEvent>().ToList(),
                events.OfType<PrivacyChargeEvent>().LastOrDefault(),
                crossCheck);
        }

        foreach (string siteId in rounds.SelectMany(r => r.Sites).Distinct(StringComparer.Ordinal))
        {
            if (!sites.ContainsKey(siteId))
            {
                sites[siteId] = new SiteCompliance(siteId, null, null, 0, [], 0, [], null, null);
            }
        }

        return new ComplianceReport(
            jobId,
            input.GeneratedAt,
            input.ManifestName,
            input.ManifestText,
            manifestSha256,
            job,
            manifestHashes,
            coordinator,
            sites.Values.ToList(),
            rounds,
            coordinatorEvents.OfType<ModelReleasedEvent>().ToList());
    }

    private static LedgerVerification VerifyWithKnownKey(string path, IReadOnlyDictionary<string, LedgerPublicKey>? keys)
    {
        LedgerVerification verification = LedgerVerifier.Verify(path);
        return verification.WriterId is { } writer && keys?.GetValueOrDefault(writer) is { } key
            ? LedgerVerifier.Verify(path, key)
            : verification;
    }

    private static List<LedgerEvent> ForJob(LedgerContents contents, string jobId) =>
        contents.Entries.Select(e => e.Event).Where(e => string.Equals(JobIdOf(e), jobId, StringComparison.Ordinal)).ToList();

    private static ManifestHashCheck ManifestCheck(string writerId, List<LedgerEvent> events, string manifestSha256)
    {
        JobReceivedEvent? received = events.OfType<JobReceivedEvent>().LastOrDefault();
        return new ManifestHashCheck(writerId, received?.ManifestSha256, string.Equals(received?.ManifestSha256, manifestSha256, StringComparison.Ordinal));
    }

    private static string? JobIdOf(LedgerEvent e) => e switch
    {
        JobReceivedEvent x => x.JobId,
        PolicyDecisionEvent x => x.JobId,
        RoundTrainedEvent x => x.JobId,
        UpdateSentEvent x => x.JobId,
        PrivacyChargeEvent x => x.JobId,
        AggregateReceivedEvent x => x.JobId,
        ModelReleasedEvent x => x.JobId,
        RoundCompletedEvent x => x.JobId,
        ConfigurationChangeEvent => null,
        _ => throw new System.Diagnostics.UnreachableException($"Unknown ledger event {e.GetType().Name}."),
    };
}
