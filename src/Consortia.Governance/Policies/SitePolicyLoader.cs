using System.Security.Cryptography;
using System.Text;
using Consortia.Yaml;
using YamlDotNet.RepresentationModel;

namespace Consortia.Governance.Policies;

/// <summary>Reads site policy files (YAML; format in <c>docs/policy.md</c>).</summary>
/// <remarks>Unknown fields are errors, so a misspelt restriction is never silently ignored.</remarks>
public static class SitePolicyLoader
{
    private static readonly YamlErrorFactory s_error = (file, line, column, field, problem) => new PolicyFileException(file, line, column, field, problem);

    /// <summary>Loads and validates a policy file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The policy, with <see cref="SitePolicy.Sha256"/> and <see cref="SitePolicy.SourcePath"/> set.</returns>
    /// <exception cref="PolicyFileException">The file is missing, unreadable or invalid.</exception>
    public static SitePolicy Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            FileInfo info = new(path);
            if (!info.Exists)
            {
                throw new PolicyFileException(path, null, null, string.Empty, "the policy file does not exist");
            }

            if (info.Length > YamlText.MaxFileChars * 4L)
            {
                throw new PolicyFileException(path, null, null, string.Empty, "the policy file is too large");
            }

            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new PolicyFileException(path, null, null, string.Empty, $"cannot read the policy file: {error.Message}");
        }

        return Parse(text, path);
    }

    /// <summary>Parses and validates policy text.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="filePath">The name to use in errors and <see cref="SitePolicy.SourcePath"/>.</param>
    /// <returns>The policy; <see cref="SitePolicy.Sha256"/> is the SHA-256 of the UTF-8 text.</returns>
    /// <exception cref="PolicyFileException">The text is not a valid policy.</exception>
    public static SitePolicy Parse(string yaml, string filePath)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(filePath);
        YamlSection root = YamlSection.LoadRoot(filePath, yaml, s_error);
        root.RejectUnknownKeys("version", "site", "consortia", "owners", "models", "strategies", "protections", "outputs", "columns", "schedule", "roster", "approval", "agreement");

        SitePolicy policy = new()
        {
            Version = (int)root.RequiredInteger("version", 1, int.MaxValue),
            Site = root.OptionalString("site"),
            Consortia = Values(root.RequiredNonEmptyStringItems("consortia")),
            Owners = Values(root.RequiredNonEmptyStringItems("owners")),
            ModelKinds = Names(root, "models", KnownNames.ModelKinds, "model kind"),
            Strategies = Names(root, "strategies", KnownNames.Strategies, "strategy"),
            Protections = ReadProtections(root.RequiredSection("protections")),
            Outputs = ReadOutputs(root.RequiredSection("outputs")),
            Columns = Values(root.RequiredNonEmptyStringItems("columns")),
            Schedule = ReadSchedule(root),
            RosterAcceptance = ReadRoster(root.OptionalSection("roster")),
            ManualApproval = ReadApproval(root),
            Agreement = ReadAgreement(root.OptionalSection("agreement"), filePath),
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml))),
            SourcePath = filePath,
        };

        try
        {
            policy.Validate();
        }
        catch (ArgumentException error)
        {
            // The reader checks every field with its line first; this is the backstop for cross-field rules.
            throw new PolicyFileException(filePath, null, null, string.Empty, error.Message);
        }

        return policy;
    }

    private static List<string> Values(IReadOnlyList<(string Value, YamlNode Node, string Field)> items) =>
        items.Select(i => i.Value).ToList();

    private static List<string> Names(YamlSection section, string key, IReadOnlyList<string> known, string what)
    {
        List<string> names = [];
        foreach ((string value, YamlNode node, string field) in section.RequiredNonEmptyStringItems(key))
        {
            if (!KnownNames.Contains(known, value))
            {
                throw section.Error(node, field, $"unknown {what} '{value}'; expected one of: {string.Join(", ", known)}");
            }

            names.Add(value.ToLowerInvariant());
        }

        return names;
    }

    /// <summary><c>agreement: {file, signatures}</c>, paths relative to the policy file (signatures default to the agreement's sidecar).</summary>
    private static Agreements.AgreementReference? ReadAgreement(YamlSection? section, string policyPath)
    {
        if (section is null)
        {
            return null;
        }

        section.RejectUnknownKeys("file", "signatures");
        string folder = Path.GetDirectoryName(Path.GetFullPath(policyPath)) ?? ".";
        string file = Path.GetFullPath(section.RequiredString("file"), folder);
        string signatures = section.OptionalString("signatures") is { } named ? Path.GetFullPath(named, folder) : Agreements.AgreementSignatures.DefaultPath(file);
        return new Agreements.AgreementReference(file, signatures);
    }

    private static RosterAcceptance ReadRoster(YamlSection? section)
    {
        if (section is null)
        {
            return RosterAcceptance.Manual;
        }

        section.RejectUnknownKeys("accept");
        return section.RequiredString("accept") switch
        {
            "manual" => RosterAcceptance.Manual,
            "automatic" => RosterAcceptance.Automatic,
            string other => throw section.Error("accept", $"expected manual or automatic, got '{other}'"),
        };
    }

    private static ProtectionPolicy ReadProtections(YamlSection section)
    {
        section.RejectUnknownKeys("secure_aggregation", "min_sites_per_aggregate", "differential_privacy", "max_attempts_per_round");
        bool secureAggregation = section.RequiredBoolean("secure_aggregation");
        int minSites = (int)section.RequiredInteger("min_sites_per_aggregate", 1, 100_000);
        YamlSection? dpSection = section.OptionalSection("differential_privacy");
        return new ProtectionPolicy(secureAggregation, minSites, dpSection is null ? null : ReadDp(dpSection))
        {
            MaxAttemptsPerRound = (int)(section.OptionalInteger("max_attempts_per_round", 1, 100) ?? ProtectionPolicy.DefaultMaxAttemptsPerRound),
        };
    }

    private static DifferentialPrivacyPolicy ReadDp(YamlSection section)
    {
        section.RejectUnknownKeys("required", "mode", "epsilon_ceiling_per_job", "lifetime_epsilon_budget", "delta", "allow_trusted_coordinator");
        bool required = section.RequiredBoolean("required");
        DpMode? mode = null;
        if (section.OptionalString("mode") is { } modeText)
        {
            if (!DpModeNames.TryParse(modeText, out DpMode parsed))
            {
                throw section.Error("mode", $"expected {DpModeNames.SampleLevel} or {DpModeNames.ClientLevel}, got '{modeText}'");
            }

            mode = parsed;
        }
        else if (required)
        {
            throw section.Error("mode", $"required when differential privacy is required; expected {DpModeNames.SampleLevel} or {DpModeNames.ClientLevel}");
        }

        double ceiling = section.RequiredNumber("epsilon_ceiling_per_job", 0, 1e6);
        double budget = section.RequiredNumber("lifetime_epsilon_budget", 0, 1e6);
        if (ceiling > budget)
        {
            throw section.Error("epsilon_ceiling_per_job", "must not exceed lifetime_epsilon_budget");
        }

        double delta = section.RequiredNumber("delta", 0, 1);
        if (delta >= 1)
        {
            throw section.Error("delta", "must be less than 1");
        }

        return new DifferentialPrivacyPolicy(required, mode, ceiling, budget, delta)
        {
            AllowTrustedCoordinator = section.OptionalBoolean("allow_trusted_coordinator") ?? true,
        };
    }

    private static OutputPolicy ReadOutputs(YamlSection section)
    {
        section.RejectUnknownKeys("masked_updates", "plain_updates", "aggregate_metrics", "min_cell_count", "max_evaluations_per_job", "max_audits_per_job");
        bool aggregateMetrics = section.OptionalBoolean("aggregate_metrics") ?? false;
        int? minCellCount = (int?)section.OptionalInteger("min_cell_count", 1, int.MaxValue);
        if (aggregateMetrics && minCellCount is null)
        {
            throw section.Error("min_cell_count", "required when aggregate_metrics is true");
        }

        return new OutputPolicy(
            section.OptionalBoolean("masked_updates") ?? false,
            section.OptionalBoolean("plain_updates") ?? false,
            aggregateMetrics,
            minCellCount)
        {
            MaxEvaluationsPerJob = (int?)section.OptionalInteger("max_evaluations_per_job", 0, int.MaxValue),
            MaxAuditsPerJob = (int?)section.OptionalInteger("max_audits_per_job", 0, int.MaxValue),
        };
    }

    /// <summary><c>approval: manual</c> (a site officer decides each new job) or <c>automatic</c> (the default).</summary>
    private static bool ReadApproval(YamlSection root) => root.OptionalString("approval") switch
    {
        null or "automatic" => false,
        "manual" => true,
        _ => throw root.Error("approval", "expected 'manual' (each new job waits for a site officer: `consortia node approve|reject`) or 'automatic'"),
    };

    private static List<ScheduleWindow>? ReadSchedule(YamlSection root)
    {
        IReadOnlyList<YamlSection>? windows = root.OptionalSectionList("schedule");
        if (windows is null)
        {
            return null;
        }

        if (windows.Count == 0)
        {
            throw root.Error("schedule", "when present, must list at least one window (omit it to allow any time)");
        }

        List<ScheduleWindow> result = [];
        foreach (YamlSection window in windows)
        {
            window.RejectUnknownKeys("days", "start_hour_utc", "end_hour_utc");
            List<DayOfWeek> days = [];
            foreach ((string value, YamlNode node, string field) in window.RequiredNonEmptyStringItems("days"))
            {
                if (!TryParseDays(value, days))
                {
                    throw window.Error(node, field, $"unknown day '{value}'; expected mon..sun (or monday..sunday), weekdays, weekend or daily");
                }
            }

            int start = (int)window.RequiredInteger("start_hour_utc", 0, 23);
            int end = (int)window.RequiredInteger("end_hour_utc", 1, 24);
            if (end <= start)
            {
                throw window.Error("end_hour_utc", "must be after start_hour_utc (a window cannot cross midnight; write two windows)");
            }

            result.Add(new ScheduleWindow(days.Distinct().Order().ToList(), start, end));
        }

        return result;
    }

    private static bool TryParseDays(string text, List<DayOfWeek> days)
    {
        string t = text.ToLowerInvariant();
        switch (t)
        {
            case "weekdays":
                days.AddRange([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday]);
                return true;
            case "weekend":
                days.AddRange([DayOfWeek.Saturday, DayOfWeek.Sunday]);
                return true;
            case "daily":
                days.AddRange(Enum.GetValues<DayOfWeek>());
                return true;
        }

        foreach (DayOfWeek day in Enum.GetValues<DayOfWeek>())
        {
            string name = day.ToString().ToLowerInvariant();
            if (t == name || t == name[..3])
            {
                days.Add(day);
                return true;
            }
        }

        return false;
    }
}
