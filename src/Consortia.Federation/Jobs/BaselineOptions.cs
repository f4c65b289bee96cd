using Consortia.Learning.Training;

namespace Consortia.Federation.Jobs;

/// <summary>Non-federated baselines a simulation runs beside the federated job.</summary>
/// <param name="Local">Train one model per site on that site's data only, test it on every site.</param>
/// <param name="Pooled">Train one model on all sites' data pooled (possible only in simulation).</param>
/// <param name="Training">How the baselines train (batch size, epochs, optimizer).</param>
public sealed record BaselineOptions(bool Local, bool Pooled, LocalTrainingOptions Training);
