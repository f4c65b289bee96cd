using System.CommandLine;
using Consortia.Cli.Output.Reports;
using Consortia.Learning;
using Consortia.Learning.Export;
using Consortia.Learning.Export.Onnx;
using Consortia.Learning.Models;
using Consortia.Network.Coordinator;

namespace Consortia.Cli.Commands;

/// <summary><c>consortia model export (--job ID | --model FILE) --format onnx --out FILE</c>: a trained model as ONNX.</summary>
internal static class ModelCommands
{
    public static Command Create()
    {
        Option<string?> job = new("--job") { Description = "A job on a deployed coordinator: its newest committed model (admin API; see --coordinator and --home)." };
        Option<FileInfo?> model = new("--model") { Description = "A model.json written by `simulate --out` or `job model`." };
        Option<string> format = new("--format") { Description = "The output format.", DefaultValueFactory = _ => "onnx" };
        format.AcceptOnlyFromAmong("onnx");
        Option<FileInfo> output = new("--out") { Description = "The file to write.", Required = true };
        Command export = new("export", "Writes a trained model as ONNX (logistic: MatMul+Add+Sigmoid; MLP: its layers with ReLU; Cox: the linear predictor).") { job, model, format, output };
        DeploymentCommands.AddConnection(export, out Option<string> url, out Option<DirectoryInfo?> home, out Option<bool> json);
        export.Validators.Add(result =>
        {
            if ((result.GetValue(job) is null) == (result.GetValue(model) is null))
            {
                result.AddError("model export: give either --job ID (a deployed coordinator) or --model FILE (a model.json), not both.");
            }
        });
        export.SetAction(async (parse, ct) =>
        {
            FileInfo file = parse.GetRequiredValue(output);
            if (parse.GetValue(model) is { } source)
            {
                try
                {
                    (ParameterVector parameters, IReadOnlyList<KeyValuePair<string, string>> metadata) = ModelFile.Read(source.FullName);
                    return await WriteAsync(parameters, metadata, file, parse.InvocationConfiguration.Output, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is FormatException or ArgumentException or IOException)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                    return 2;
                }
            }

            return await DeploymentCommands.WithClient(parse, url, home, async (client, stdout) =>
            {
                ModelDownload download = await client.GetModelAsync(parse.GetRequiredValue(job)!, ct).ConfigureAwait(false); // the validator requires --job here
                string hash = Federation.Sites.UpdateHash.Of(download.Values.ToArray());
                if (!string.Equals(hash, download.Sha256, StringComparison.Ordinal))
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"error: the model's values hash to {hash}, the coordinator stated {download.Sha256}; nothing written.").ConfigureAwait(false);
                    return 1;
                }

                ParameterLayout layout = ParameterLayout.Create([.. download.Segments.Select(s => (s.Name, s.Shape.ToArray()))]);
                return await WriteAsync(
                    new ParameterVector(layout, download.Values.ToArray()),
                    [new("job", download.Name), new("runId", download.JobId), new("round", download.ModelRound.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("sha256", download.Sha256)],
                    file, stdout, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        });
        return new Command("model", "Trained models.") { export };
    }

    private static async Task<int> WriteAsync(ParameterVector parameters, IReadOnlyList<KeyValuePair<string, string>> metadata, FileInfo file, TextWriter stdout, CancellationToken cancellationToken)
    {
        ModelSpec spec = ModelLayouts.SpecFor(parameters.Layout);
        await File.WriteAllBytesAsync(file.FullName, OnnxModelExporter.Export(spec, parameters, metadata), cancellationToken).ConfigureAwait(false);
        await stdout.WriteLineAsync($"{spec.Kind} model ({parameters.Length} parameters) written as ONNX (IR {OnnxModelExporter.IrVersion}, opset {OnnxModelExporter.OpsetVersion}) to {file.FullName}; input '{OnnxModelExporter.InputName}' [N, {spec.FeatureCount}], output '{OnnxModelExporter.OutputName(spec.Kind)}' [N, 1].").ConfigureAwait(false);
        return 0;
    }
}
