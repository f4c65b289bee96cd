namespace Consortia.Federation.Sites.Guards;

/// <summary>
/// One contribution per round: a site trains for each (round, attempt) of a job run at most once, and only in increasing
/// order, recorded before anything is computed (rule <c>round-repeated</c>).
/// </summary>
/// <remarks>
/// A second task for the same round would let a coordinator combine the same update into several aggregates (secure sums
/// over overlapping subsets of sites reveal single updates). After a coordinator crash the job goes on under a new
/// attempt: a fresh identity, fresh randomness and masks, and a new privacy charge. Runs after the policy guard (a
/// refused round claims nothing) and before the budget guard (a repeated round is not charged).
/// </remarks>
internal sealed class RoundClaimGuard : ISiteGuard
{
    /// <summary>The rule name of a repeated round.</summary>
    public const string Rule = "round-repeated";

    private readonly SiteId _site;
    private readonly SiteRoundState _state;
    private readonly SiteAudit _audit;

    /// <summary>Creates the guard.</summary>
    /// <param name="site">The site.</param>
    /// <param name="state">What the site gave this job run so far.</param>
    /// <param name="audit">The site's ledger.</param>
    public RoundClaimGuard(SiteId site, SiteRoundState state, SiteAudit audit)
    {
        _site = site;
        _state = state;
        _audit = audit;
    }

    /// <inheritdoc />
    public Refused? Check(TrainTask task)
    {
        if (_state.TryClaim(task.Round.Value, task.Attempt))
        {
            return null;
        }

        string reason = $"The site already contributed to round {_state.LastRound} (attempt {_state.LastAttempt}) of this job; round {task.Round.Value} attempt {task.Attempt} is not after it.";
        _audit.TaskRefused(task.Round, Rule, reason, null);
        return new Refused(_site, task.Round, Rule, reason);
    }
}
