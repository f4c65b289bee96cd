namespace Consortia.Governance.Agreements;

/// <summary>Why the consortium exists: a text for people and codes that jobs declare (<c>purpose:</c> in the job file).</summary>
/// <param name="Text">The purpose in plain language.</param>
/// <param name="Codes">The purpose codes a job may declare (compared case-insensitively).</param>
public sealed record AgreementPurpose(string Text, IReadOnlyList<string> Codes);

/// <summary>A category of data the members contribute, with the data columns that belong to it.</summary>
/// <param name="Name">The category's name, e.g. <c>clinical-measurements</c>.</param>
/// <param name="Description">What it holds, in plain language.</param>
/// <param name="Columns">The data columns of the category (case-sensitive, as in data files); a job reads only these.</param>
public sealed record DataCategory(string Name, string Description, IReadOnlyList<string> Columns);

/// <summary>What may be trained and by whom.</summary>
/// <param name="Submitters">Who may submit jobs (job owners, compared case-insensitively).</param>
/// <param name="Tasks">The learning tasks allowed (names from <see cref="AgreementTasks.Known"/>).</param>
/// <param name="Models">The model kinds allowed (names from <see cref="Policies.KnownNames.ModelKinds"/>).</param>
/// <param name="Strategies">The aggregation strategies allowed (names from <see cref="Policies.KnownNames.Strategies"/>).</param>
public sealed record AgreementTraining(IReadOnlyList<string> Submitters, IReadOnlyList<string> Tasks, IReadOnlyList<string> Models, IReadOnlyList<string> Strategies);

/// <summary>The protections every job must use, at least.</summary>
/// <param name="SecureAggregation">Whether updates must be masked by secure aggregation.</param>
/// <param name="MinSitesPerAggregate">The fewest sites in any aggregate.</param>
/// <param name="DifferentialPrivacy">The differential-privacy terms, or <see langword="null"/> when the agreement sets none.</param>
public sealed record AgreementProtections(bool SecureAggregation, int MinSitesPerAggregate, AgreementDp? DifferentialPrivacy);

/// <summary>The differential-privacy terms of an agreement; the caps apply to every job that uses DP.</summary>
/// <param name="Required">Whether every job must use differential privacy.</param>
/// <param name="Mode">The required mode, or <see langword="null"/> for either.</param>
/// <param name="EpsilonPerJob">The largest ε one job may spend at a member.</param>
/// <param name="EpsilonPerMemberLifetime">The largest ε all jobs together may spend at a member.</param>
/// <param name="Delta">The largest δ a job may use.</param>
public sealed record AgreementDp(bool Required, Policies.DpMode? Mode, double EpsilonPerJob, double EpsilonPerMemberLifetime, double Delta);

/// <summary>What the consortium may release.</summary>
/// <param name="ModelRecipients">Who receives the trained models: <c>members</c> (every member) or member site names.</param>
/// <param name="MinCellCount">The fewest records any released number (metric, count) may be computed over.</param>
/// <param name="Publication">The publication terms, in plain language.</param>
public sealed record AgreementOutputs(IReadOnlyList<string> ModelRecipients, int MinCellCount, string Publication);

/// <summary>The dates between which the agreement is valid (both inclusive, UTC).</summary>
/// <param name="From">The first day.</param>
/// <param name="Until">The last day.</param>
public sealed record AgreementValidity(DateOnly From, DateOnly Until)
{
    /// <summary>Whether <paramref name="now"/> falls on a day from <see cref="From"/> to <see cref="Until"/> (UTC).</summary>
    /// <param name="now">The instant.</param>
    /// <returns><see langword="true"/> inside the validity.</returns>
    public bool Contains(DateTimeOffset now)
    {
        DateOnly today = DateOnly.FromDateTime(now.UtcDateTime);
        return today >= From && today <= Until;
    }
}

/// <summary>How a member leaves and what happens then.</summary>
/// <param name="NoticeDays">The notice a leaving member gives, in days.</param>
/// <param name="Models">What happens to models trained with the leaving member's data, in plain language.</param>
public sealed record AgreementExit(int NoticeDays, string Models);

/// <summary>The learning tasks an agreement can name, and the task of a job (from its model kind).</summary>
public static class AgreementTasks
{
    /// <summary>Binary classification (logistic regression, multilayer perceptron).</summary>
    public const string BinaryClassification = "binary-classification";

    /// <summary>Survival analysis (Cox proportional hazards).</summary>
    public const string Survival = "survival";

    /// <summary>Every task name.</summary>
    public static IReadOnlyList<string> Known { get; } = [BinaryClassification, Survival];

    /// <summary>The task a model kind trains for: the platform's classifiers are binary, its Cox model is survival.</summary>
    /// <param name="modelKind">A model kind from <see cref="Policies.KnownNames.ModelKinds"/>.</param>
    /// <returns>The task, or <see langword="null"/> for an unknown model kind.</returns>
    public static string? Of(string modelKind) => modelKind.ToLowerInvariant() switch
    {
        "logistic" or "mlp" => BinaryClassification,
        "cox" => Survival,
        _ => null,
    };
}
