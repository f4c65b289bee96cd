using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Governance.Tests.Support;

/// <summary>Writes a coordinator ledger and one ledger per site for a small job, as the engine would.</summary>
public sealed class LedgerScenario : IDisposable
{
    public const string JobId = "heart-fedavg";

    private readonly List<EcdsaLedgerSigner> _signers = [];

    private LedgerScenario(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public string CoordinatorPath => Path.Combine(Directory, "coordinator.ledger");

    public Dictionary<string, string> SitePaths { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, LedgerPublicKey> Keys { get; } = new(StringComparer.Ordinal);

    public static string UpdateHash(string site, int round) => Sha256Hex.OfText($"update/{site}/{round}");

    /// <summary>Builds the ledgers.</summary>
    /// <param name="directory">Where to write them.</param>
    /// <param name="sites">Site ids.</param>
    /// <param name="rounds">Rounds completed.</param>
    /// <param name="coordinatorView">What the coordinator records for (site, round); default the site's true hash, null to omit.</param>
    /// <param name="refusingSite">A site whose policy refuses the job (it writes a refusal and nothing else).</param>
    public static LedgerScenario Write(
        string directory,
        IReadOnlyList<string> sites,
        int rounds,
        Func<string, int, string?>? coordinatorView = null,
        string? refusingSite = null)
    {
        LedgerScenario scenario = new(directory);
        coordinatorView ??= UpdateHash;
        FakeTimeProvider time = new(new DateTimeOffset(2025, 1, 15, 18, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.FromSeconds(30) };
        string manifestHash = Sha256Hex.OfText(Some.JobYaml);
        PolicyEvaluator evaluator = new(Some.Policy());

        EcdsaLedgerSigner coordinatorKey = scenario.NewSigner("coordinator");
        using AuditLedger coordinator = AuditLedger.Open(scenario.CoordinatorPath, "coordinator", LedgerRole.Coordinator, coordinatorKey, time);
        coordinator.Append(new JobReceivedEvent(JobId, manifestHash, "heart-consortium", "alice@lead.example.org"));

        List<AuditLedger> siteLedgers = [];
        try
        {
            foreach (string site in sites)
            {
                string path = Path.Combine(directory, site + ".ledger");
                scenario.SitePaths[site] = path;
                AuditLedger ledger = AuditLedger.Open(path, site, LedgerRole.Site, scenario.NewSigner(site), time);
                siteLedgers.Add(ledger);
                ledger.Append(new JobReceivedEvent(JobId, manifestHash, "heart-consortium", "alice@lead.example.org"));
                PolicyDecision decision = site == refusingSite
                    ? evaluator.Evaluate(Some.Job() with { Columns = ["age", "patient_name"] }, Some.InsideWindow)
                    : evaluator.Evaluate(Some.Job(), Some.InsideWindow);
                ledger.Append(PolicyDecisionEvent.From(JobId, null, decision));
            }

            List<string> participants = sites.Where(s => s != refusingSite).ToList();
            for (int round = 1; round <= rounds; round++)
            {
                List<SiteUpdateHash> received = [];
                for (int i = 0; i < sites.Count; i++)
                {
                    string site = sites[i];
                    if (site == refusingSite)
                    {
                        continue;
                    }

                    AuditLedger ledger = siteLedgers[i];
                    ledger.Append(PolicyDecisionEvent.From(JobId, round, evaluator.EvaluateRound(new RoundDescriptor(JobId, round, participants.Count))));
                    ledger.Append(new RoundTrainedEvent(JobId, round, 120 + i));
                    ledger.Append(new UpdateSentEvent(JobId, round, UpdateHash(site, round), 4_096, UpdateKind.Masked));
                    ledger.Append(new PrivacyChargeEvent(JobId, round, DpMode.ClientLevel, 0.4 * round, 1e-6)
                    {
                        LifetimeEpsilon = 1.0 + (0.4 * round),
                        LifetimeBudget = 10.0,
                    });
                    if (coordinatorView(site, round) is { } seen)
                    {
                        received.Add(new SiteUpdateHash(site, seen));
                    }
                }

                string aggregate = Sha256Hex.OfText($"aggregate/{round}");
                coordinator.Append(new RoundCompletedEvent(JobId, round, received) { AggregateSha256 = aggregate });
                foreach (AuditLedger ledger in siteLedgers.Where(l => l.Header.WriterId != refusingSite))
                {
                    ledger.Append(new AggregateReceivedEvent(JobId, round, aggregate, received.Count));
                }
            }

            coordinator.Append(new ModelReleasedEvent(JobId, Sha256Hex.OfText("model"), "registry://heart/1") { Details = """{"rounds": 3}""" });
        }
        finally
        {
            foreach (AuditLedger ledger in siteLedgers)
            {
                ledger.Dispose();
            }
        }

        return scenario;
    }

    public void Dispose()
    {
        foreach (EcdsaLedgerSigner signer in _signers)
        {
            signer.Dispose();
        }
    }

    private EcdsaLedgerSigner NewSigner(string writer)
    {
        EcdsaLedgerSigner signer = EcdsaLedgerSigner.Generate();
        _signers.Add(signer);
        Keys[writer] = signer.PublicKey;
        return signer;
    }
}
