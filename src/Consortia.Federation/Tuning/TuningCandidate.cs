using Consortia.Data;
using Consortia.Federation.Jobs;

namespace Consortia.Federation.Tuning;

/// <summary>One configuration to score by cross-validation.</summary>
/// <param name="Settings">The overrides that define the candidate (key = value).</param>
/// <param name="Job">The job with the overrides applied.</param>
/// <param name="Data">
/// The dataset the job reads, loaded with the job's own preprocessing. Candidates may differ in preprocessing
/// (e.g. <c>data.standardization</c>) but must hold the same rows: the folds are built once per row layout.
/// </param>
public sealed record TuningCandidate(IReadOnlyList<KeyValuePair<string, string>> Settings, JobDefinition Job, FederatedDataset Data);
