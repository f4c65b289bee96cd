namespace Consortia.Federation.Sites.Guards;

/// <summary>
/// One contribution per round: a site trains for each (round, attempt) of a job run at most once, and only in increasing
/// order, recorded before anything is computed (rule <c>round-repeated</c>).
/// </summary>
/// <remarks>
/// A second task for the same round would let a coordinator combine the same update into several aggregates (secure sums
/// over overlapping subsets of sites reveal single updates). After a coordinator crash the job goes on under a new
/// attempt: a fresh identity, fresh randomness and masks, and a new privacy charge; the site takes part in at most
/// <c>protections.max_attempts_per_round</c> attempts of one round (rule <c>round-attempts</c>), so a coordinator cannot
/// collect many independently noised contributions to one round by claiming crashes. Runs after the policy guard (a
/// refused round claims nothing) and before the budget guard (a repeated round is not charged).
/// </remarks>
internal sealed class RoundClaimGuard : ISiteGuard
{
    /// <summary>The rule name of a repeated round.</summary>
    public const string Rule = "round-repeated";

    /// <summary>The rule name of an attempt beyond the policy's cap.</summary>
    public const string AttemptsRule = "round-attempts";

    private readonly SiteId _site;
    private readonly SiteRoundState _state;
    private readonly SiteAudit _audit;
    private readonly int _maxAttempts;

    /// <summary>Creates the guard.</summary>
    /// <param name="site">The site.</param>
    /// <param name="state">What the site gave this job run so far.</param>
    /// <param name="audit">The site's ledger.</param>
    /// <param name="maxAttempts">The most attempts of one round the site contributes to.</param>
    public RoundClaimGuard(SiteId site, SiteRoundState state, SiteAudit audit, int maxAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        _maxAttempts = maxAttempts;
        _site = site;
        _state = state;
        _audit = audit;
    }

    /// <inheritdoc />
    public Refused? Check(TrainTask task)
    {
        (string rule, string reason) = _state.TryClaim(task.Round.Value, task.Attempt, _maxAttempts) switch
        {
            RoundClaim.Claimed => (string.Empty, string.Empty),
            RoundClaim.TooManyAttempts => (AttemptsRule, $"The site already contributed to {_state.AttemptsInRound} attempt(s) of round {task.Round.Value} of this job (last: attempt {_state.LastAttempt}); its policy allows {_maxAttempts} (protections.max_attempts_per_round)."),
            _ => (Rule, $"The site already contributed to round {_state.LastRound} (attempt {_state.LastAttempt}) of this job; round {task.Round.Value} attempt {task.Attempt} is not after it."),
        };
        if (rule.Length == 0)
        {
            return null;
        }

        _audit.TaskRefused(task.Round, rule, reason, null);
        return new Refused(_site, task.Round, rule, reason);
    }
}
