namespace Consortia.Federation.Sites.Guards;

/// <summary>A check a training task must pass before the site computes anything.</summary>
internal interface ISiteGuard
{
    /// <summary>Checks the task; may record the decision (ledger, budget).</summary>
    /// <param name="task">The training task.</param>
    /// <returns>A refusal naming the rule, or <see langword="null"/> to let the task through.</returns>
    public Refused? Check(TrainTask task);
}
