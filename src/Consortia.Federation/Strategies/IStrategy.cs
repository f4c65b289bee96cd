using Consortia.Federation.Sites;

namespace Consortia.Federation.Strategies;

/// <summary>
/// A federated strategy: Flower's four verbs, typed and pure. Strategies never drive rounds, wait for
/// sites or touch I/O; the <see cref="Engine.JobRunner"/> owns the loop and <see cref="Engine.RoundEngine"/> runs each round.
/// </summary>
/// <remarks>
/// Strategies hold no hidden mutable state: whatever must survive a round (server moments, control
/// variates) is returned as a <see cref="StrategyState"/> record in <see cref="StrategyStep"/>, so the
/// engine can checkpoint it and resume.
/// </remarks>
public interface IStrategy
{
    /// <summary>What the strategy needs from the engine.</summary>
    public StrategyTraits Traits { get; }

    /// <summary>The state before the first round.</summary>
    /// <param name="model">The initial global model.</param>
    /// <returns>The initial state.</returns>
    public StrategyState InitialState(GlobalModel model);

    /// <summary>Chooses the round's sites and their local training configuration.</summary>
    /// <param name="input">The round input.</param>
    /// <returns>The plan.</returns>
    public TrainingPlan PlanTraining(RoundInput input);

    /// <summary>Produces the next global parameters and state from the round's updates.</summary>
    /// <param name="input">The round input.</param>
    /// <param name="updates">The sum of updates, or the individual updates when the traits ask for them.</param>
    /// <returns>The new parameters and state.</returns>
    public StrategyStep Aggregate(RoundInput input, UpdateAggregate updates);

    /// <summary>Chooses the sites that evaluate the new model, or <see langword="null"/> to skip evaluation.</summary>
    /// <param name="input">The round input (holding the new model).</param>
    /// <returns>The evaluation plan or <see langword="null"/>.</returns>
    public EvaluationPlan? PlanEvaluation(RoundInput input);

    /// <summary>Combines the sites' evaluation reports.</summary>
    /// <param name="input">The round input.</param>
    /// <param name="reports">The reports in canonical site order.</param>
    /// <returns>The summary.</returns>
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports);
}
