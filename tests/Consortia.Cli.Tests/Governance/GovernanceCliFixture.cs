using System.CommandLine;
using Consortia.Cli.Commands;
using Consortia.Federation.Jobs;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Cli.Tests.Governance;

/// <summary>A temp directory with a policy, a job file, and a coordinator and two site ledgers; runs commands in a RootCommand.</summary>
public sealed class GovernanceCliFixture : IDisposable
{
    public const string PolicyYaml = """
        version: 2
        site: cleveland
        consortia: [heart-consortium]
        owners: [alice@lead.example.org]
        models: [logistic]
        strategies: [fedavg]
        protections:
          secure_aggregation: true
          min_sites_per_aggregate: 2
          differential_privacy:
            required: true
            mode: client-level
            epsilon_ceiling_per_job: 4.0
            lifetime_epsilon_budget: 10.0
            delta: 1.0e-5
        outputs:
          masked_updates: true
          aggregate_metrics: true
          min_cell_count: 10
        columns: [age, sex, chol, target]
        schedule:
          - days: [weekdays]
            start_hour_utc: 18
            end_hour_utc: 24
        """;

    // A real job file: policy check reads it with the engine's own reader, as a site does.
    public const string JobYaml = """
        version: 1
        name: heart-fedavg
        consortium: heart-consortium
        owner: alice@lead.example.org
        data:
          format: flamby-heart-disease
          path: data
          columns: [age, sex, chol, target]
        model:
          kind: logistic
        strategy:
          kind: fedavg
        training:
          rounds: 2
          min_participants: 2
        privacy:
          secure_aggregation: true
          dp: {mode: client-level, epsilon: 2.0, delta: 1.0e-6, clip: 0.5}
        """;

    public static readonly DateTimeOffset Now = new(2025, 1, 15, 20, 0, 0, TimeSpan.Zero);

    public GovernanceCliFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "consortia-cli-gov-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(LedgerDirectory);
        File.WriteAllText(PolicyPath, PolicyYaml);
        File.WriteAllText(JobPath, JobYaml);
        WriteLedgers();
    }

    public string Root { get; }

    public string PolicyPath => Path.Combine(Root, "site.yaml");

    public string JobPath => Path.Combine(Root, "job.yaml");

    public string LedgerDirectory => Path.Combine(Root, "ledgers");

    public string CoordinatorLedger => Path.Combine(LedgerDirectory, "coordinator.ledger");

    public string SiteLedger(string site) => Path.Combine(LedgerDirectory, site + ".ledger");

    public string KeyPem(string writer) => Path.Combine(Root, writer + ".pub.pem");

    public static string UpdateHash(string site, int round) => Sha256Hex.OfText($"{site}/{round}");

    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        RootCommand root = new("test root");
        foreach (Command command in GovernanceCommands.Create(new FakeTimeProvider(Now)))
        {
            root.Subcommands.Add(command);
        }

        StringWriter output = new();
        StringWriter error = new();
        int exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Copies the pristine ledgers to a fresh directory for a test that modifies them.</summary>
    public string CopyLedgers()
    {
        string copy = Path.Combine(Root, "copy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(LedgerDirectory))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        return copy;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort cleanup of a temp directory.
        }
    }

    private void WriteLedgers()
    {
        FakeTimeProvider time = new(Now) { AutoAdvanceAmount = TimeSpan.FromSeconds(10) };
        string manifestHash = Sha256Hex.OfText(JobYaml);
        PolicyEvaluator evaluator = new(SitePolicyLoader.Parse(PolicyYaml, "site.yaml"));
        JobDescriptor job = JobFile.Parse(JobYaml, "job.yaml").Describe();
        string[] sites = ["budapest", "cleveland"];

        using EcdsaLedgerSigner coordinatorKey = EcdsaLedgerSigner.Generate();
        File.WriteAllText(KeyPem("coordinator"), coordinatorKey.PublicKey.ExportPem());
        using AuditLedger coordinator = AuditLedger.Open(CoordinatorLedger, "coordinator", LedgerRole.Coordinator, coordinatorKey, time);
        coordinator.Append(new JobReceivedEvent(job.JobId, manifestHash, job.Consortium, job.Owner));
        foreach (string site in sites)
        {
            using EcdsaLedgerSigner key = EcdsaLedgerSigner.Generate();
            File.WriteAllText(KeyPem(site), key.PublicKey.ExportPem());
            using AuditLedger ledger = AuditLedger.Open(SiteLedger(site), site, LedgerRole.Site, key, time);
            ledger.Append(new JobReceivedEvent(job.JobId, manifestHash, job.Consortium, job.Owner));
            ledger.Append(PolicyDecisionEvent.From(job.JobId, null, evaluator.Evaluate(job, Now)));
            for (int round = 1; round <= 2; round++)
            {
                ledger.Append(new RoundTrainedEvent(job.JobId, round, 100));
                ledger.Append(new UpdateSentEvent(job.JobId, round, UpdateHash(site, round), 1_000, UpdateKind.Masked));
                ledger.Append(new PrivacyChargeEvent(job.JobId, round, DpMode.ClientLevel, round * 0.9, 1e-6));
            }
        }

        for (int round = 1; round <= 2; round++)
        {
            coordinator.Append(new RoundCompletedEvent(job.JobId, round, sites.Select(s => new SiteUpdateHash(s, UpdateHash(s, round))).ToList()));
        }
    }
}
