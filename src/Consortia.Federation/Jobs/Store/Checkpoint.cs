using Consortia.Federation;
using Consortia.Federation.Strategies;
using Consortia.Learning;

namespace Consortia.Federation.Jobs.Store;

/// <summary>What a job resumes from: the model and strategy state after a committed round.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Round">The last committed round (0: the initial model, before any round).</param>
/// <param name="ModelRound">The round that produced the parameters (<see cref="GlobalModel.Round"/>; lower than <paramref name="Round"/> when later rounds did not aggregate).</param>
/// <param name="Parameters">The model parameters with their layout.</param>
/// <param name="State">The strategy state.</param>
/// <param name="ModelSha256">SHA-256 of the parameters' float32 values (lower-case hex, as in audit ledgers).</param>
public sealed record Checkpoint(string JobId, RoundNumber Round, RoundNumber ModelRound, ParameterVector Parameters, StrategyState State, string ModelSha256);
