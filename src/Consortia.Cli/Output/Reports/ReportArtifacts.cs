using Consortia.Data;
using Consortia.Federation.Simulation;
using Consortia.Learning.Export.Onnx;

namespace Consortia.Cli.Output.Reports;

/// <summary>What <c>simulate --out DIR</c> writes besides model.json and summary.md: model.onnx, model-card.md and report.html.</summary>
internal static class ReportArtifacts
{
    public const string OnnxFile = "model.onnx", CardFile = "model-card.md", ReportFile = "report.html";

    /// <summary>Writes the three files into <paramref name="directory"/> (the job's data is read again for test predictions and set sizes).</summary>
    public static async Task WriteAsync(string directory, SimulationResult result, IReadOnlyList<string> warnings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        string baseDirectory = result.Job.SourcePath is { } path ? Path.GetDirectoryName(path) ?? "." : Directory.GetCurrentDirectory();
        FederatedDataset data = FederatedDataLoader.Load(result.Job.Data, baseDirectory);
        TrainingReport report = TrainingReport.FromSimulation(result, warnings, data);
        Learning.ParameterVector parameters = result.Federated.FinalModel.Parameters;
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
}
