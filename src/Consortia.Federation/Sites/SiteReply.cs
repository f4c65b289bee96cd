using Consortia.SecureAggregation.Protocol.Messages;

namespace Consortia.Federation.Sites;

/// <summary>A site's answer to a task: a closed set of outcomes, each a value (never an exception).</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
public abstract record SiteReply(SiteId Site, RoundNumber Round);

/// <summary>The site trained and returned its update.</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
/// <param name="Update">The weighted update.</param>
public sealed record TrainingCompleted(SiteId Site, RoundNumber Round, SiteUpdate Update) : SiteReply(Site, Round)
{
    /// <summary>The site's own privacy accounting after this round's charge (DP jobs), or <see langword="null"/> without DP.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public SitePrivacyReport? Privacy { get; init; }
}

/// <summary>The site evaluated the parameters.</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
/// <param name="Report">The aggregate metrics.</param>
public sealed record EvaluationCompleted(SiteId Site, RoundNumber Round, EvaluationReport Report) : SiteReply(Site, Round);

/// <summary>The site refused the task under its policy.</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
/// <param name="Rule">The policy rule that refused it.</param>
/// <param name="Reason">Why, in words fit for the job owner.</param>
public sealed record Refused(SiteId Site, RoundNumber Round, string Rule, string Reason) : SiteReply(Site, Round);

/// <summary>The site failed; the message carries no data values (details stay in the site's own log).</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
/// <param name="Code">A stable error code.</param>
/// <param name="Message">A message without data values.</param>
public sealed record Failed(SiteId Site, RoundNumber Round, string Code, string Message) : SiteReply(Site, Round);

/// <summary>The site did not answer before the deadline (dropped out or straggling).</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
public sealed record Missed(SiteId Site, RoundNumber Round) : SiteReply(Site, Round);

/// <summary>The site trained and holds its update for the round's secure aggregation session.</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
/// <param name="Steps">Local optimizer steps taken.</param>
public sealed record TrainingPrepared(SiteId Site, RoundNumber Round, int Steps) : SiteReply(Site, Round)
{
    /// <summary>
    /// The site's own privacy accounting after this round's charge (DP jobs), or <see langword="null"/> without DP: under
    /// secure aggregation the masked update itself carries nothing in the clear, so the accounting travels here.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public SitePrivacyReport? Privacy { get; init; }
}

/// <summary>The site's answer to a secure aggregation protocol message.</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
/// <param name="Message">The site's protocol message.</param>
public sealed record SecAggReplied(SiteId Site, RoundNumber Round, SecAggClientMessage Message) : SiteReply(Site, Round);
