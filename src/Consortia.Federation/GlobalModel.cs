using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Federation;

/// <summary>The coordinator's current model: its specification, parameters and the round that produced it.</summary>
/// <param name="Spec">The model specification.</param>
/// <param name="Parameters">The parameters (never mutated once published).</param>
/// <param name="Round">The round that produced them; 0 for the initial model.</param>
public sealed record GlobalModel(ModelSpec Spec, ParameterVector Parameters, RoundNumber Round);
