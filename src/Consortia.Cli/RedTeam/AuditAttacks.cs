using System.Globalization;
using Consortia.Assurance.Fairness;
using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Jobs;
using Consortia.Federation.RedTeam;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Network.Configuration;
using Consortia.Network.Node;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Cli.RedTeam;

/// <summary>
/// The fairness audit as a query oracle: a coordinator audits models it crafted, each scoring by one feature alone,
/// so that the per-group score histograms the audit returns are the site's own data. The victim is the node's real
/// job handler (<see cref="SiteJobHandler"/>, as a <c>consortia node</c> runs it) on Cleveland's data, in this process:
/// it accepts the job, trains round 1 and evaluates the round's model, as in any run, before the attacker audits.
/// </summary>
internal static class AuditAttacks
{
    private const string Run = "redteam-audit-run";
    private const string Victim = "cleveland";

    /// <summary>The features the attacker reads, one crafted model each.</summary>
    private static readonly string[] s_probes = ["age", "trestbps", "chol", "thalach", "oldpeak"];

    private const string FairnessSection = """
        fairness:
          groups:
            sex: {column: sex, values: {female: 0, male: 1}}
          threshold: 0.5

        """;

    /// <summary>Runs <c>crafted-audit</c>.</summary>
    /// <param name="heartDiseaseData">The heart-disease folder.</param>
    /// <param name="unprotected">Whether the victim answers audits of any model (the red team's weakened site).</param>
    /// <param name="cancellationToken">Cancels the attack.</param>
    /// <returns>The outcome.</returns>
    public static async Task<AttackOutcome> CraftedModelAsync(string heartDiseaseData, bool unprotected, CancellationToken cancellationToken)
    {
        const string Name = "crafted-audit";
        string data = Path.GetFullPath(heartDiseaseData);
        string folder = Directory.CreateTempSubdirectory("consortia-redteam-audit-").FullName;
        try
        {
            string yaml = CoordinatorRedTeam.JobText("audit", data, string.Empty) + FairnessSection;
            string policy = Path.Combine(folder, "policy.yaml");
            await File.WriteAllTextAsync(policy, CoordinatorRedTeam.PolicyText(strict: false), cancellationToken).ConfigureAwait(false);
            NodeConfig config = new()
            {
                Site = Victim,
                Coordinator = "https://127.0.0.1:1", // never dialled: the attacker hands tasks to the handler directly
                Policy = policy,
                State = Path.Combine(folder, "state"),
                Data = new NodeDataConfig { Path = data, Site = Victim, Sensitive = ["sex"] },
            };
            using SiteJobHandler victim = new(config, TimeProvider.System, NullLogger.Instance) { AuditReceivedModelsOnly = !unprotected };
            JobDefinition job = JobFile.Parse(yaml, Path.Combine(folder, "redteam-audit.yaml"));
            ParameterVector aggregate = await TakePartAsync(victim, job, yaml, cancellationToken).ConfigureAwait(false);

            FederatedDataset dataset = FederatedDataLoader.Load(job.Data, folder);
            SiteData own = dataset.Sites.Single(s => s.Name == Victim);
            string[] sites = [.. dataset.Sites.Select(s => s.Name).Order(StringComparer.Ordinal)];
            FairnessAudit audit = new([job.Fairness!.Groups.Single()], sites);
            int siteCell = audit.Layout.Cells.IndexOf(new FairnessCell(FairnessAudit.SiteAttribute, Victim));
            List<string> read = [];
            foreach (string feature in s_probes)
            {
                ParameterVector crafted = new(aggregate.Layout);
                crafted.Values[own.Test.FeatureNames.ToList().IndexOf(feature)] = 1f; // p = sigmoid(standardised feature): its histogram is the feature's
                FairnessAuditTask task = new(victim.Site, new RoundNumber(1), Run, yaml, crafted, ["sex"], sites, 0.5f) { JobSha256 = Sha256Hex.OfText(yaml) };
                SiteReply reply = await victim.HandleAsync($"audit-{feature}", task, cancellationToken).ConfigureAwait(false);
                if (reply is not FairnessCountsReleased released)
                {
                    // The protection refused; the site still answers for the model it did receive, so it is not refusing everything.
                    SiteReply honest = await victim.HandleAsync("audit-honest", task with { Parameters = aggregate }, cancellationToken).ConfigureAwait(false);
                    string answered = honest is FairnessCountsReleased ? "it answered the audit of the round's own model" : $"it did not answer the audit of the round's own model either ({honest.GetType().Name})";
                    return new AttackOutcome(Name, true, $"site {Victim} refused the audit of a crafted model scoring by {feature} alone ({Why(reply)}); {answered}");
                }

                read.Add(Read(feature, crafted, audit.Layout, siteCell, [.. released.Counts], own, job));
            }

            return new AttackOutcome(Name, false, $"site {Victim} answered {s_probes.Length} audits of crafted models, each scoring by one feature alone; each audit's score histograms are that feature over its {own.Test.Count} test records, per diagnosis, at 1/1024 on the sigmoid scale, equal to the site's own data: {string.Join("; ", read)}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The run as the victim sees it: it accepts the job, trains round 1, and evaluates the round's aggregate (recorded at receipt).</summary>
    private static async Task<ParameterVector> TakePartAsync(SiteJobHandler victim, JobDefinition job, string yaml, CancellationToken cancellationToken)
    {
        JobReadiness ready = await victim.PrepareJobAsync(Run, yaml, cancellationToken).ConfigureAwait(false);
        if (!ready.Accepted)
        {
            throw new InvalidOperationException($"The red team's victim {Victim} did not take the job: {ready.Code} {ready.Message}");
        }

        ParameterVector global = new(job.ModelFor(ready.FeatureCount).CreateLayout());
        string sha = Sha256Hex.OfText(yaml);
        SiteReply trained = await victim.HandleAsync(Run, new TrainTask(victim.Site, new RoundNumber(1), global, job.Training) { Participants = 4, JobSha256 = sha }, cancellationToken).ConfigureAwait(false);
        ParameterVector aggregate = global.Clone();
        System.Numerics.Tensors.TensorPrimitives.Add(aggregate.Values, (trained as TrainingCompleted ?? throw new InvalidOperationException($"The victim did not train: {trained}")).Update.WeightedDelta.Values, aggregate.Values);
        SiteReply evaluated = await victim.HandleAsync(Run, new EvaluateTask(victim.Site, new RoundNumber(1), aggregate) { Contributors = 4, JobSha256 = sha }, cancellationToken).ConfigureAwait(false);
        if (evaluated is not EvaluationCompleted)
        {
            throw new InvalidOperationException($"The victim did not evaluate the round's model: {evaluated}");
        }

        victim.EndJob(Run);
        return aggregate;
    }

    /// <summary>What one crafted audit gave, checked against the site's own test records (the ground truth, to grade only).</summary>
    private static string Read(string feature, ParameterVector crafted, FairnessCountLayout layout, int cell, long[] counts, SiteData own, JobDefinition job)
    {
        float[] scores = new float[own.Test.Count];
        job.ModelFor(own.Test.FeatureCount).CreateModel(own.Test.Count).Predict(crafted.Values, own.Test.Features, scores);
        long[] negatives = new long[FairnessCountLayout.ScoreLevels + 1];
        long[] positives = new long[FairnessCountLayout.ScoreLevels + 1];
        for (int i = 0; i < scores.Length; i++)
        {
            (own.Test.Labels[i] > 0.5f ? positives : negatives)[FairnessCountLayout.Level(scores[i])]++;
        }

        bool exact = layout.NegativeScores(counts, cell).SequenceEqual(negatives) && layout.PositiveScores(counts, cell).SequenceEqual(positives);
        int distinct = negatives.Zip(positives).Count(p => p.First + p.Second > 0);
        int alone = negatives.Count(c => c == 1) + positives.Count(c => c == 1);
        return string.Create(CultureInfo.InvariantCulture, $"{feature}: {distinct} distinct values, {alone} records alone in their (value, diagnosis) bin{(exact ? string.Empty : " (NOT equal to the site's data)")}");
    }

    private static string Why(SiteReply reply) => reply switch
    {
        Refused refused => $"rule {refused.Rule}: {refused.Reason}",
        Failed failed => $"failed: {failed.Code}",
        _ => reply.GetType().Name,
    };
}
