using System.Globalization;
using Consortia.Federation.Jobs;
using Consortia.Learning.Training;

namespace Consortia.Cli.Output.Reports;

/// <summary>The facts about a job that the HTML report and the model card both state, worded once.</summary>
internal static class JobFacts
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    /// <summary>Strategy, rounds, local training and optimiser, as (name, value) rows.</summary>
    public static IReadOnlyList<(string Name, string Value)> Training(JobDefinition job)
    {
        LocalTrainingOptions t = job.Training;
        string local = t.LocalSteps is int steps ? $"{steps} mini-batches per round" : $"{t.LocalEpochs} epoch(s) per round";
        string optimiser = string.Create(s_c, $"{t.Optimizer.Kind.ToString().ToLowerInvariant()}, learning rate {t.Optimizer.LearningRate}")
            + (t.Optimizer.Momentum > 0 ? string.Create(s_c, $", momentum {t.Optimizer.Momentum}") : "");
        List<(string, string)> rows =
        [
            ("strategy", JobFile.NameOf(job.Strategy.Kind)),
            ("rounds", job.Engine.Rounds.ToString(s_c)),
            ("local training", string.Create(s_c, $"{local}, batch size {t.BatchSize}")),
            ("optimiser (at the sites)", optimiser),
            ("minimum sites per round", job.Engine.MinimumParticipants.ToString(s_c)),
        ];
        if (t.ProximalMu > 0)
        {
            rows.Add(("proximal term μ", t.ProximalMu.ToString(s_c)));
        }

        if (job.L2 > 0)
        {
            rows.Add(("L2 penalty", job.L2.ToString(s_c)));
        }

        return rows;
    }

    /// <summary>The protections the job ran under, as (protection, state) rows.</summary>
    public static IReadOnlyList<(string Name, string Value)> Protections(JobDefinition job, bool simulated)
    {
        List<(string, string)> rows = [];
        rows.Add(("secure aggregation", job.Engine.SecureAggregation is { } s
            ? string.Create(s_c, $"on (SecAgg+: the coordinator sees only the sum; {(s.Neighbours is int k ? $"{k} neighbours" : "complete graph")}, threshold {(s.Threshold is int th ? th.ToString(s_c) : "default")}, dropout tolerance {s.DropoutFraction:P0})")
            : "off: the coordinator sees each site's update"));
        rows.Add(("differential privacy", job.Engine.Dp is { } dp
            ? string.Create(s_c, $"sample-level DP-SGD at each site: clip {dp.Options.ClipNorm}, δ {dp.Options.Delta}, {(dp.Options.TargetEpsilon is double e ? $"target ε {e}" : $"noise multiplier {dp.Options.NoiseMultiplier}")}")
            : job.ClientDp is { } c
                ? string.Create(s_c, $"client-level DP-FedAvg ({(c.IsDistributed ? "noise added at the sites" : "central noise at the coordinator")}): clip {c.Options.ClipNorm}{(c.Options.Adaptive is null ? "" : " (adaptive)")}, δ {c.Options.Delta}, {(c.Options.TargetEpsilon is double ce ? $"target ε {ce}" : $"noise multiplier {c.Options.NoiseMultiplier}")}")
                : "none: updates and metrics are not noised"));
        rows.Add(("site policies", job.Policies is { Count: > 0 } p
            ? string.Join("; ", p.Select(kv => $"{kv.Key}: {Path.GetFileName(kv.Value)}"))
            : simulated ? "none in the job file (simulated sites without a policy refuse)" : "each node enforces its own policy file"));
        rows.Add(("columns read", job.Columns.Count > 0 ? string.Join(", ", job.Columns) : "all of the data contract's"));
        rows.Add(("randomness", simulated
            ? "seeded from the job (reproducible, therefore not private); deployed sites draw their own"
            : "each site's own cryptographic generator"));
        return rows;
    }
}
