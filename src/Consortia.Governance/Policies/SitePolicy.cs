namespace Consortia.Governance.Policies;

/// <summary>A site's privacy policy: which jobs it accepts and under which protections.</summary>
/// <remarks>
/// Loaded from a YAML file with <see cref="SitePolicyLoader"/> (format in <c>docs/policy.md</c>) and evaluated by
/// <see cref="PolicyEvaluator"/>. Everything the policy does not explicitly allow is refused. List members compare by
/// reference (record equality is shallow).
/// </remarks>
public sealed record SitePolicy
{
    /// <summary>The policy revision chosen by the site (a positive integer, raised on every change).</summary>
    public required int Version { get; init; }

    /// <summary>The site the policy belongs to, for reports; informative only.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? Site { get; init; }

    /// <summary>Consortia whose jobs the site accepts (compared case-insensitively).</summary>
    public required IReadOnlyList<string> Consortia { get; init; }

    /// <summary>Job owners whose jobs the site accepts (compared case-insensitively).</summary>
    public required IReadOnlyList<string> Owners { get; init; }

    /// <summary>Allowed model kinds (names from <see cref="KnownNames.ModelKinds"/>).</summary>
    public required IReadOnlyList<string> ModelKinds { get; init; }

    /// <summary>Allowed aggregation strategies (names from <see cref="KnownNames.Strategies"/>).</summary>
    public required IReadOnlyList<string> Strategies { get; init; }

    /// <summary>Protections every accepted job must use.</summary>
    public required ProtectionPolicy Protections { get; init; }

    /// <summary>What may leave the site.</summary>
    public required OutputPolicy Outputs { get; init; }

    /// <summary>The data columns a job may read (compared case-sensitively, as column names in data files are).</summary>
    public required IReadOnlyList<string> Columns { get; init; }

    /// <summary>When jobs and rounds may run; <see langword="null"/> means at any time.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public IReadOnlyList<ScheduleWindow>? Schedule { get; init; }

    /// <summary>How this node accepts the consortium rosters the coordinator proposes (<c>roster.accept</c>).</summary>
    /// <value>Default <see cref="RosterAcceptance.Manual"/>.</value>
    public RosterAcceptance RosterAcceptance { get; init; } = RosterAcceptance.Manual;

    /// <summary>
    /// Whether each new job waits for a decision by a person at the site (<c>approval: manual</c>; the node answers
    /// the coordinator "awaiting approval" until <c>consortia node approve|reject</c> decides). Off by default.
    /// </summary>
    public bool ManualApproval { get; init; }

    /// <summary>The consortium agreement the site enforces beside this policy (<c>agreement:</c>; see <c>docs/agreement.md</c>), or <see langword="null"/>.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public Agreements.AgreementReference? Agreement { get; init; }

    /// <summary>The SHA-256 of the policy file (lowercase hex), or <see langword="null"/> for a policy built in code.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? Sha256 { get; init; }

    /// <summary>The file the policy was loaded from, or <see langword="null"/>.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? SourcePath { get; init; }

    /// <summary>Checks that the policy is complete and consistent.</summary>
    /// <exception cref="ArgumentException">A field is missing or invalid; the message names it.</exception>
    public void Validate()
    {
        if (Version < 1)
        {
            throw new ArgumentException($"version: must be a positive integer, got {Version}.", nameof(Version));
        }

        RequireNonEmpty(Consortia, "consortia");
        RequireNonEmpty(Owners, "owners");
        RequireNonEmpty(ModelKinds, "models");
        RequireNonEmpty(Strategies, "strategies");
        RequireNonEmpty(Columns, "columns");
        foreach (string model in ModelKinds)
        {
            if (!KnownNames.IsModelKind(model))
            {
                throw new ArgumentException($"models: unknown model kind '{model}'; expected one of {string.Join(", ", KnownNames.ModelKinds)}.", nameof(ModelKinds));
            }
        }

        foreach (string strategy in Strategies)
        {
            if (!KnownNames.IsStrategy(strategy))
            {
                throw new ArgumentException($"strategies: unknown strategy '{strategy}'; expected one of {string.Join(", ", KnownNames.Strategies)}.", nameof(Strategies));
            }
        }

        ArgumentNullException.ThrowIfNull(Protections);
        ArgumentNullException.ThrowIfNull(Outputs);
        Protections.Validate();
        Outputs.Validate();
        if (Schedule is not null)
        {
            if (Schedule.Count == 0)
            {
                throw new ArgumentException("schedule: when present, must list at least one window (omit it to allow any time).", nameof(Schedule));
            }

            foreach (ScheduleWindow window in Schedule)
            {
                window.Validate();
            }
        }
    }

    private static void RequireNonEmpty(IReadOnlyList<string>? list, string field)
    {
        if (list is null || list.Count == 0)
        {
            throw new ArgumentException($"{field}: must list at least one entry.", field);
        }

        foreach (string item in list)
        {
            if (string.IsNullOrWhiteSpace(item))
            {
                throw new ArgumentException($"{field}: entries must be non-empty.", field);
            }
        }
    }
}
