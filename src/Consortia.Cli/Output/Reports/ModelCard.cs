using System.Globalization;
using System.Text;
using Consortia.Assurance.Fairness;
using Consortia.Learning.Export.Onnx;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;

namespace Consortia.Cli.Output.Reports;

/// <summary>The model card (Markdown) written next to model.onnx: what the model is, what it was trained on and how, what protected the data, and its limits.</summary>
internal static class ModelCard
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    /// <param name="report">The run.</param>
    /// <param name="spec">The model specification.</param>
    /// <param name="featureNames">The model's inputs in order.</param>
    /// <param name="sha256">SHA-256 of the parameters (as in the ledgers' model-released entries).</param>
    public static string Markdown(TrainingReport report, ModelSpec spec, IReadOnlyList<string> featureNames, string sha256)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(spec);
        StringBuilder md = new();
        Federation.Jobs.JobDefinition job = report.Job;
        md.AppendLine(s_c, $"# Model card: {job.Name}");
        md.AppendLine();
        md.AppendLine(s_c, $"Consortium {job.Consortium}, job owner {job.Owner}; {report.Origin}.");
        md.AppendLine();

        md.AppendLine("## Model");
        md.AppendLine();
        md.AppendLine(s_c, $"- **Kind:** {report.Model}.");
        md.AppendLine(s_c, $"- **File:** `model.onnx` (ONNX IR version {OnnxModelExporter.IrVersion}, opset {OnnxModelExporter.OpsetVersion}); input `{OnnxModelExporter.InputName}` float32 [N, {spec.FeatureCount}], output `{OnnxModelExporter.OutputName(spec.Kind)}` float32 [N, 1].");
        md.AppendLine(s_c, $"- **Output:** {(spec.Kind == ModelKind.CoxPh ? "the linear predictor w·x (log relative hazard); the baseline hazard is not estimated, so the model ranks patients by risk but gives no absolute survival probability" : "the probability of the positive label")}.");
        md.AppendLine(s_c, $"- **Inputs, in order:** {string.Join(", ", featureNames.Select(f => $"`{f}`"))} — after the job's preprocessing ({Standardisation(job.Data.Standardization)}); raw values must be transformed the same way.");
        md.AppendLine(s_c, $"- **Parameters:** {spec.CreateLayout().Length}, from round {report.Rounds.LastOrDefault(r => r.Aggregated)?.Round.Value ?? 0} of {job.Engine.Rounds}; SHA-256 of the float32 values `{sha256}`.");
        md.AppendLine();

        md.AppendLine("## Intended use");
        md.AppendLine();
        md.AppendLine(s_c, $"Purpose agreed by the consortium: **{job.Purpose ?? "not stated in the job"}**. Research use within that purpose, under the consortium agreement; not a certified medical device. Any clinical use needs validation on the intended population first.");
        md.AppendLine();

        md.AppendLine("## Data");
        md.AppendLine();
        if (report.SiteSizes.Count > 0)
        {
            md.AppendLine("| site | training examples | test examples |");
            md.AppendLine("|---|---|---|");
            foreach ((string site, int train, int test) in report.SiteSizes)
            {
                md.AppendLine(s_c, $"| {site} | {train} | {test} |");
            }

            md.AppendLine(s_c, $"| **all** | {report.SiteSizes.Sum(s => s.Train)} | {report.SiteSizes.Sum(s => s.Test)} |");
        }
        else if (report.Final is { } final)
        {
            md.AppendLine(s_c, $"Sites: {string.Join(", ", final.Sites.Select(s => $"{s.Site} ({s.Examples} test examples)"))}. Training set sizes are known only at the sites.");
        }

        md.AppendLine();
        md.AppendLine(s_c, $"Columns read: {(job.Columns.Count > 0 ? string.Join(", ", job.Columns) : "all of the data contract's")}. No record left its site: the model was trained by federated rounds.");
        md.AppendLine();

        md.AppendLine("## Training");
        md.AppendLine();
        foreach ((string name, string value) in JobFacts.Training(job))
        {
            md.AppendLine(s_c, $"- **{name}:** {value}");
        }

        md.AppendLine();
        md.AppendLine("## Privacy and protections");
        md.AppendLine();
        foreach ((string name, string value) in JobFacts.Protections(job, report.Simulated))
        {
            md.AppendLine(s_c, $"- **{name}:** {value}");
        }

        if (report.ClientPrivacy is { } client && job.ClientDp is { } clientDp)
        {
            md.AppendLine(s_c, $"- **ε spent (client level):** {F(client.Epsilon)} at δ {clientDp.Options.Delta} over {clientDp.TotalRounds} rounds.");
        }
        else if (report.Privacy.Count > 0)
        {
            md.AppendLine(s_c, $"- **ε spent (sample level, per site, δ {report.Privacy[0].Delta}):** {string.Join(", ", report.Privacy.Select(p => $"{p.Site} {F(p.Epsilon)}"))}; the job's ε is the largest, {F(report.Privacy.Max(p => p.Epsilon))}.");
        }

        md.AppendLine();
        md.AppendLine("## Performance (final model, each site's test set)");
        md.AppendLine();
        if (report.Final is { } summary)
        {
            string[] names = [.. summary.Mean.Select(m => m.Kind.ReportName())];
            md.AppendLine(s_c, $"| site | test examples | {string.Join(" | ", names)} |");
            md.AppendLine(s_c, $"|---|---|{string.Concat(names.Select(_ => "---|"))}");
            foreach (Federation.Sites.EvaluationReport site in summary.Sites)
            {
                md.AppendLine(s_c, $"| {site.Site} | {site.Examples} | {string.Join(" | ", site.Metrics.Select(m => F(m.Value)))} |");
            }

            md.AppendLine(s_c, $"| **mean over sites** | | {string.Join(" | ", summary.Mean.Select(m => F(m.Value)))} |");
        }
        else
        {
            md.AppendLine("The final model was not evaluated.");
        }

        md.AppendLine();
        md.AppendLine("## Fairness");
        md.AppendLine();
        Fairness(md, report.Fairness);
        md.AppendLine();

        md.AppendLine("## Limits");
        md.AppendLine();
        foreach (string limit in Limits(report, spec))
        {
            md.AppendLine(s_c, $"- {limit}");
        }

        return md.ToString();
    }

    // What the fairness audit found, in the card's words: groups audited, the largest gaps with their intervals, and
    // what the sites withheld; the report has the full tables and plots.
    private static void Fairness(StringBuilder md, FairnessFacts? facts)
    {
        if (facts is null)
        {
            md.AppendLine("No fairness audit was run for this job (it declares no `fairness:` groups): there are no per-group (sex, age band, …) metrics. The per-site figures above are the only breakdown; a site far below the mean is a population the model serves less well.");
            return;
        }

        if (facts.NotRun is { } reason)
        {
            md.AppendLine(s_c, $"The job declares fairness groups, but no audit was run: {reason}.");
            return;
        }

        md.AppendLine(s_c, $"Audited on each site's test set from per-group counts only ({facts.Source}); 95 % intervals in brackets.");
        md.AppendLine();
        if (facts.Classification is { } report)
        {
            md.AppendLine(s_c, $"- **Groups audited:** {string.Join("; ", report.Gaps.Select(a => $"{a.Attribute} ({string.Join(", ", report.Groups.Where(g => g.Attribute == a.Attribute).Select(g => $"{g.Group} n={g.N}"))})"))}.");
            foreach (AttributeGaps attribute in report.Gaps)
            {
                md.AppendLine(s_c, $"- **Largest gaps by {attribute.Attribute}:** {string.Join("; ", attribute.Gaps.Where(g => g.Metric is "equalised_odds" or "demographic_parity" or "auc").Select(GapText))}.");
            }

            md.AppendLine();
            md.AppendLine("| attribute | group | n | accuracy | AUC | TPR | FPR | calibration error |");
            md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (GroupFairness g in report.Groups)
            {
                md.AppendLine(s_c, $"| {g.Attribute} | {g.Group} | {g.N} | {FairnessHtml.Ci(g.Accuracy)} | {FairnessHtml.Ci(g.Auc)} | {FairnessHtml.Ci(g.Tpr)} | {FairnessHtml.Ci(g.Fpr)} | {FairnessHtml.Ci(g.Curves?.CalibrationError ?? new Interval(g.CalibrationError, double.NaN, double.NaN))} |");
            }

            md.AppendLine();
        }
        else if (facts.Survival is { } survival)
        {
            md.AppendLine(s_c, $"- **Groups audited:** {string.Join("; ", survival.Gaps.Select(a => $"{a.Attribute} ({string.Join(", ", survival.Groups.Where(g => g.Attribute == a.Attribute).Select(g => $"{g.Group} n={g.N}"))})"))}.");
            md.AppendLine(s_c, $"- **C-index per group** (comparable pairs within sites): {string.Join("; ", survival.Groups.Select(g => $"{g.Attribute}={g.Group} {FairnessHtml.Ci(g.CIndex)}"))}.");
            foreach (AttributeGaps attribute in survival.Gaps)
            {
                md.AppendLine(s_c, $"- **Largest gap by {attribute.Attribute}:** {string.Join("; ", attribute.Gaps.Select(GapText))}.");
            }
        }

        string[] withheld = [.. facts.Withheld.Where(w => w.Cells.Count > 0).Select(w => $"{w.Site}: {string.Join(", ", w.Cells)}")];
        md.AppendLine(s_c, $"- **Suppressed groups:** {(withheld.Length == 0 ? "none (every group reached each site's minimum cell count)" : string.Join("; ", withheld) + " (below the site's minimum cell count: withheld at the site, in no figure)")}.");
    }

    private static string GapText(FairnessGap gap) =>
        gap.High.Length == 0 ? $"{FairnessHtml.GapName(gap.Metric)} n/a (fewer than two groups)" : $"{FairnessHtml.GapName(gap.Metric)} {FairnessHtml.Ci(gap.Gap)} ({gap.High} − {gap.Low})";

    private static IEnumerable<string> Limits(TrainingReport report, ModelSpec spec)
    {
        int sites = report.SiteSizes.Count > 0 ? report.SiteSizes.Count : report.Final?.Sites.Count ?? 0;
        yield return string.Create(s_c, $"Trained on {sites} site(s); populations, coding practices and devices elsewhere may differ, and performance there is unknown.");
        if (report.Final is { Sites.Count: > 1 } final && final.Mean.Count > 0)
        {
            MetricKind kind = final.Mean[0].Kind;
            double[] values = [.. final.Sites.Select(s => s.Metrics.Where(m => m.Kind == kind).Select(m => m.Value).DefaultIfEmpty(double.NaN).First()).Where(double.IsFinite)];
            if (values.Length > 1)
            {
                yield return string.Create(s_c, $"Test {kind.ReportName()} ranges from {F(values.Min())} to {F(values.Max())} across sites; small test sets make each figure uncertain.");
            }
        }

        if (report.Job.Engine.Dp is null && report.Job.ClientDp is null)
        {
            yield return "Trained without differential privacy: the parameters may reveal whether a given patient's record was used.";
        }

        if (report.Simulated)
        {
            yield return "A simulation: every site's randomness came from the job's seed, so the run reproduces but is not private.";
        }

        if (spec.Kind == ModelKind.CoxPh)
        {
            yield return "Relative risks only: no baseline hazard, hence no survival probabilities.";
        }
        else
        {
            yield return "Probabilities are as calibrated as the report's calibration plot shows; recalibrate before using a threshold on a new population.";
        }
    }

    private static string Standardisation(Data.Standardization s) => s switch
    {
        Data.Standardization.PerSite => "each site standardised with its own training statistics",
        Data.Standardization.Pooled => "standardised with the pooled training statistics",
        _ => "no standardisation",
    };

    private static string F(double value) => SimulationReport.Format(value);
}
