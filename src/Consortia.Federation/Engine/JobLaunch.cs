using Consortia.Federation.Jobs;
using Consortia.Federation.Transport;
using Consortia.Federation.Jobs.Store;

namespace Consortia.Federation.Engine;

/// <summary>What the coordinator host supplies to run (or resume) a stored job: the way to its sites and its initial model.</summary>
/// <param name="Transport">The transport to the job's sites.</param>
/// <param name="InitialModel">The initial model (used only if the job has no checkpoint yet; its specification and layout must match the job's checkpoints).</param>
public sealed record JobLaunch(ISiteTransport Transport, GlobalModel InitialModel);

/// <summary>Prepares a stored job to run: announces it to sites, builds its initial model.</summary>
/// <param name="record">The stored job.</param>
/// <param name="job">Its definition, parsed from the stored YAML.</param>
/// <param name="cancellationToken">Cancels the preparation.</param>
/// <returns>The transport and initial model.</returns>
public delegate ValueTask<JobLaunch> JobLauncher(JobRecord record, JobDefinition job, CancellationToken cancellationToken);
