using Consortia.Cli.Commands;
using Consortia.Data;
using Consortia.Federation.Simulation;
using Consortia.Learning.Export.Onnx;

namespace Consortia.Cli.Output.Reports;

/// <summary>What <c>simulate --out DIR</c> writes besides model.json and summary.md: model.onnx, model-card.md, report.html and, when the job declares fairness groups, fairness.json.</summary>
internal static class ReportArtifacts
{
    public const string OnnxFile = "model.onnx", CardFile = "model-card.md", ReportFile = "report.html";

    /// <summary>Writes the three files into <paramref name="directory"/> (the job's data is read again for test predictions and set sizes).</summary>
    public static async Task WriteAsync(string directory, SimulationResult result, IReadOnlyList<string> warnings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        string baseDirectory = result.Job.SourcePath is { } path ? Path.GetDirectoryName(path) ?? "." : Directory.GetCurrentDirectory();
        FederatedDataset data = FederatedDataLoader.Load(result.Job.Data, baseDirectory);
        Learning.ParameterVector parameters = result.Federated.FinalModel.Parameters;
        TrainingReport report = TrainingReport.FromSimulation(result, warnings, data) with
        {
            Fairness = await FairnessAsync(directory, result, data, cancellationToken).ConfigureAwait(false),
        };
        string sha256 = Federation.Sites.UpdateHash.Of(parameters.Values);
        IReadOnlyList<string> features = data.Sites[0].Test.FeatureNames;
        byte[] onnx = OnnxModelExporter.Export(result.Spec, parameters,
        [
            new("job", result.Job.Name),
            new("round", result.Federated.FinalModel.Round.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("sha256", sha256),
            new("features", string.Join(",", features)),
        ]);
        await File.WriteAllBytesAsync(Path.Combine(directory, OnnxFile), onnx, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, CardFile), ModelCard.Markdown(report, result.Spec, features, sha256), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, ReportFile), TrainingReportHtml.Render(report), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The fairness audit of the final model when the job declares groups: the code of <c>audit-model fairness</c>
    /// (sites send counts only, suppressed below their minimum cell count, through secure aggregation when the job
    /// uses it), its JSON written to fairness.json and read back, so the report shows exactly what the file holds.
    /// </summary>
    private static async Task<FairnessFacts?> FairnessAsync(string directory, SimulationResult result, FederatedDataset data, CancellationToken cancellationToken)
    {
        if (result.Job.Fairness is not { } settings)
        {
            return null;
        }

        if (!result.Federated.Rounds.Any(r => r.Aggregated))
        {
            // Auditing the initial model would report numbers about nothing the job learned.
            return new FairnessFacts { Source = FairnessJson.FileName, NotRun = "no round was aggregated, so there is no trained model to audit" };
        }

        string json;
        try
        {
            float[] parameters = result.Federated.FinalModel.Parameters.Values.ToArray();
            json = data.Task == LearningTask.Survival
                ? AuditModelCommand.Json(AuditModelCommand.AuditTrainedSurvival(result.Job, data, settings.Groups, result.Spec, parameters))
                : AuditModelCommand.Json(AuditModelCommand.AuditTrained(result.Job, data, settings.Groups, result.Spec, parameters));
        }
        catch (ArgumentException e)
        {
            // E.g. a Cox job's test data without times: the report says why instead of the run failing after training.
            return new FairnessFacts { Source = FairnessJson.FileName, NotRun = e.Message };
        }

        await File.WriteAllTextAsync(Path.Combine(directory, FairnessJson.FileName), json, cancellationToken).ConfigureAwait(false);
        return FairnessJson.Read(json, FairnessJson.FileName);
    }
}
