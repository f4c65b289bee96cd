using Consortia.Federation.Jobs;

namespace Consortia.Federation.Jobs.Store;

/// <summary>What the store keeps of a submitted job: its YAML source (re-parsed on restart) and the fields shown in listings.</summary>
/// <param name="Name">The job name.</param>
/// <param name="Owner">Who submitted it.</param>
/// <param name="YamlText">The job file's text, exactly as submitted.</param>
/// <param name="TotalRounds">The number of training rounds.</param>
public sealed record JobSubmission(string Name, string Owner, string YamlText, int TotalRounds)
{
    /// <summary>The submission of a parsed job.</summary>
    /// <param name="job">A job parsed from YAML (its <see cref="JobDefinition.SourceText"/> must be set).</param>
    /// <returns>The submission.</returns>
    /// <exception cref="ArgumentException">The job has no source text.</exception>
    public static JobSubmission From(JobDefinition job)
    {
        ArgumentNullException.ThrowIfNull(job);
        string text = job.SourceText ?? throw new ArgumentException($"Job '{job.Name}' has no YAML source text to store; parse it with JobFile.Parse.", nameof(job));
        return new JobSubmission(job.Name, job.Owner, text, job.Engine.Rounds);
    }
}
