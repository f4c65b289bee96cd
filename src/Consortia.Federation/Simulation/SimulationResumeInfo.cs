using System.Text.Json;
using System.Text.Json.Serialization;
using Consortia.Federation.Jobs;

namespace Consortia.Federation.Simulation;

/// <summary>
/// <c>DIR/resume.json</c>: which stored job a <c>simulate --out DIR</c> run is, and the job file and seed it ran with
/// (the seed may come from <c>--seed</c>, which the stored YAML does not show), so that <c>simulate --resume DIR</c>
/// rebuilds the same sites and data.
/// </summary>
/// <param name="JobId">The job's id in <c>DIR/jobs.db</c>.</param>
/// <param name="JobFile">The job file's full path (its data paths are relative to it).</param>
/// <param name="Seed">The seed the run used.</param>
internal sealed record SimulationResumeInfo(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("job_file")] string JobFile,
    [property: JsonPropertyName("seed")] ulong Seed)
{
    private static readonly JsonSerializerOptions s_options = new() { WriteIndented = true };

    public static void Write(string directory, SimulationResumeInfo info) =>
        File.WriteAllText(Path.Combine(directory, FederatedSimulation.ResumeFileName), JsonSerializer.Serialize(info, s_options));

    public static SimulationResumeInfo Read(string directory)
    {
        string path = Path.Combine(directory, FederatedSimulation.ResumeFileName);
        if (!File.Exists(path))
        {
            throw new JobFileException($"{directory}: no simulation to resume here ({FederatedSimulation.ResumeFileName} is missing; it is written by `consortia simulate JOB --out DIR`).");
        }

        SimulationResumeInfo? info;
        try
        {
            info = JsonSerializer.Deserialize<SimulationResumeInfo>(File.ReadAllText(path), s_options);
        }
        catch (JsonException error)
        {
            throw new JobFileException($"{path}: not a valid resume file: {error.Message}", error);
        }

        if (info is null || string.IsNullOrWhiteSpace(info.JobId) || string.IsNullOrWhiteSpace(info.JobFile))
        {
            throw new JobFileException($"{path}: not a valid resume file: job_id and job_file are required.");
        }

        return info;
    }
}
