using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Consortia.Governance.Audit;
using Consortia.Governance.Policies;
using Consortia.Yaml;
using YamlDotNet.RepresentationModel;

namespace Consortia.Governance.Agreements;

/// <summary>Reads agreement files (YAML; format in <c>docs/agreement.md</c>).</summary>
/// <remarks>Unknown fields are errors, so a misspelt clause is never silently ignored; every error names the line, the field and what was expected.</remarks>
public static partial class AgreementLoader
{
    private static readonly YamlErrorFactory s_error = (file, line, column, field, problem) => new AgreementFileException(file, line, column, field, problem);

    /// <summary>The placeholder word 'agreement init' writes; a draft still holding one is not an agreement anyone may sign.</summary>
    [GeneratedRegex(@"(?i)\btodo\b", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Placeholder();

    /// <summary>Loads and validates an agreement file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The agreement, with <see cref="ConsortiumAgreement.SourcePath"/> set.</returns>
    /// <exception cref="AgreementFileException">The file is missing, unreadable or invalid.</exception>
    public static ConsortiumAgreement Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            FileInfo info = new(path);
            if (!info.Exists)
            {
                throw new AgreementFileException(path, null, null, string.Empty, "the agreement file does not exist");
            }

            if (info.Length > YamlText.MaxFileChars * 4L)
            {
                throw new AgreementFileException(path, null, null, string.Empty, "the agreement file is too large");
            }

            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new AgreementFileException(path, null, null, string.Empty, $"cannot read the agreement file: {error.Message}");
        }

        return Parse(text, path);
    }

    /// <summary>Parses and validates agreement text.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="filePath">The name to use in errors and <see cref="ConsortiumAgreement.SourcePath"/>.</param>
    /// <returns>The agreement.</returns>
    /// <exception cref="AgreementFileException">The text is not a valid agreement.</exception>
    public static ConsortiumAgreement Parse(string yaml, string filePath)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(filePath);
        YamlSection root = YamlSection.LoadRoot(filePath, yaml, s_error);
        RejectPlaceholders(root);

        root.RejectUnknownKeys("name", "version", "purpose", "members", "data_categories", "training", "protections", "outputs", "validity", "exit", "quorum");
        string name = root.RequiredString("name");
        int version = (int)root.RequiredInteger("version", 1, int.MaxValue);
        AgreementPurpose purpose = ReadPurpose(root.RequiredSection("purpose"));
        List<AgreementMember> members = ReadMembers(root);
        List<DataCategory> categories = ReadCategories(root);
        AgreementTraining training = ReadTraining(root.RequiredSection("training"));
        AgreementProtections protections = ReadProtections(root.RequiredSection("protections"));
        AgreementOutputs outputs = ReadOutputs(root.RequiredSection("outputs"), members);
        AgreementValidity validity = ReadValidity(root.RequiredSection("validity"));
        YamlSection exit = root.RequiredSection("exit");
        exit.RejectUnknownKeys("notice_days", "models");
        return new ConsortiumAgreement
        {
            Name = name,
            Version = version,
            Purpose = purpose,
            Members = members,
            DataCategories = categories,
            Training = training,
            Protections = protections,
            Outputs = outputs,
            Validity = validity,
            Exit = new AgreementExit((int)exit.RequiredInteger("notice_days", 0, 3650), exit.RequiredString("models")),
            Quorum = ReadQuorum(root, members.Count),
            SourcePath = filePath,
        };
    }

    /// <summary>Refuses any value still holding a TODO placeholder, so an unfilled draft never checks, signs or is enforced.</summary>
    private static void RejectPlaceholders(YamlSection root)
    {
        foreach ((string value, YamlNode node, string field) in root.ScalarValues())
        {
            if (Placeholder().IsMatch(value))
            {
                throw root.Error(node, field, $"still holds the placeholder '{value}' from 'consortia agreement init'; replace every TODO with the agreed value");
            }
        }
    }

    private static AgreementPurpose ReadPurpose(YamlSection section)
    {
        section.RejectUnknownKeys("text", "codes");
        return new AgreementPurpose(section.RequiredString("text"), Distinct(section, "codes", StringComparer.OrdinalIgnoreCase));
    }

    private static List<AgreementMember> ReadMembers(YamlSection root)
    {
        IReadOnlyList<YamlSection> sections = root.OptionalSectionList("members") ?? throw root.MappingError("members", "required field is missing; expected a list of members (organisation, site, contact, jurisdiction, legal_basis, key)");
        if (sections.Count == 0)
        {
            throw root.Error("members", "expected at least one member");
        }

        List<AgreementMember> members = [];
        foreach (YamlSection member in sections)
        {
            member.RejectUnknownKeys("organisation", "site", "contact", "jurisdiction", "legal_basis", "key");
            string site = member.RequiredString("site");
            if (members.Any(m => string.Equals(m.Site, site, StringComparison.Ordinal)))
            {
                throw member.Error("site", $"site '{site}' is listed twice; each member takes part through its own site");
            }

            YamlSection basis = member.RequiredSection("legal_basis");
            basis.RejectUnknownKeys("gdpr", "hipaa", "other");
            LegalBasis legal = new(basis.OptionalString("gdpr"), basis.OptionalString("hipaa"), basis.OptionalString("other"));
            if (legal.Gdpr is null && legal.Hipaa is null && legal.Other is null)
            {
                throw member.Error("legal_basis", "expected at least one of gdpr (e.g. 'Art. 6(1)(e); Art. 9(2)(j)'), hipaa (e.g. 'covered entity') or other");
            }

            string key = member.RequiredString("key").ToLowerInvariant();
            if (!Sha256Hex.IsValid(key))
            {
                throw member.Error("key", $"expected the 64-hex-digit fingerprint of the site's signing key (printed by 'consortia roster join' and 'consortia roster show'), got '{key}'");
            }

            members.Add(new AgreementMember(member.RequiredString("organisation"), site, member.RequiredString("contact"), member.RequiredString("jurisdiction"), legal, key));
        }

        return members;
    }

    private static List<DataCategory> ReadCategories(YamlSection root)
    {
        IReadOnlyList<YamlSection> sections = root.OptionalSectionList("data_categories") ?? throw root.MappingError("data_categories", "required field is missing; expected a list of categories (name, description, columns)");
        if (sections.Count == 0)
        {
            throw root.Error("data_categories", "expected at least one data category");
        }

        List<DataCategory> categories = [];
        foreach (YamlSection category in sections)
        {
            category.RejectUnknownKeys("name", "description", "columns");
            categories.Add(new DataCategory(category.RequiredString("name"), category.RequiredString("description"), Distinct(category, "columns", StringComparer.Ordinal)));
        }

        return categories;
    }

    private static AgreementTraining ReadTraining(YamlSection section)
    {
        section.RejectUnknownKeys("submitters", "tasks", "models", "strategies");
        return new AgreementTraining(
            Distinct(section, "submitters", StringComparer.OrdinalIgnoreCase),
            Names(section, "tasks", AgreementTasks.Known, "task"),
            Names(section, "models", KnownNames.ModelKinds, "model kind"),
            Names(section, "strategies", KnownNames.Strategies, "strategy"));
    }

    private static AgreementProtections ReadProtections(YamlSection section)
    {
        section.RejectUnknownKeys("secure_aggregation", "min_sites_per_aggregate", "differential_privacy");
        bool secure = section.RequiredBoolean("secure_aggregation");
        int minSites = (int)section.RequiredInteger("min_sites_per_aggregate", 1, 100_000);
        YamlSection? dp = section.OptionalSection("differential_privacy");
        return new AgreementProtections(secure, minSites, dp is null ? null : ReadDp(dp));
    }

    private static AgreementDp ReadDp(YamlSection section)
    {
        section.RejectUnknownKeys("required", "mode", "epsilon_per_job", "epsilon_per_member_lifetime", "delta");
        bool required = section.RequiredBoolean("required");
        DpMode? mode = null;
        if (section.OptionalString("mode") is { } text)
        {
            mode = DpModeNames.TryParse(text, out DpMode parsed)
                ? parsed
                : throw section.Error("mode", $"expected {DpModeNames.SampleLevel} or {DpModeNames.ClientLevel}, got '{text}'");
        }

        double perJob = section.RequiredNumber("epsilon_per_job", 0, 1e6);
        double lifetime = section.RequiredNumber("epsilon_per_member_lifetime", 0, 1e6);
        if (perJob > lifetime)
        {
            throw section.Error("epsilon_per_job", string.Create(CultureInfo.InvariantCulture, $"must not exceed epsilon_per_member_lifetime ({lifetime}), got {perJob}"));
        }

        double delta = section.RequiredNumber("delta", 0, 1);
        if (delta >= 1)
        {
            throw section.Error("delta", "expected a number below 1 (e.g. 1.0e-5)");
        }

        return new AgreementDp(required, mode, perJob, lifetime, delta);
    }

    private static AgreementOutputs ReadOutputs(YamlSection section, List<AgreementMember> members)
    {
        section.RejectUnknownKeys("model_recipients", "min_cell_count", "publication");
        List<string> recipients = [];
        foreach ((string value, YamlNode node, string field) in section.RequiredNonEmptyStringItems("model_recipients"))
        {
            if (value != "members" && !members.Any(m => m.Site == value))
            {
                throw section.Error(node, field, $"expected 'members' (every member) or a member's site ({string.Join(", ", members.Select(m => m.Site))}), got '{value}'");
            }

            recipients.Add(value);
        }

        return new AgreementOutputs(recipients, (int)section.RequiredInteger("min_cell_count", 1, int.MaxValue), section.RequiredString("publication"));
    }

    private static AgreementValidity ReadValidity(YamlSection section)
    {
        section.RejectUnknownKeys("from", "until");
        DateOnly from = Date(section, "from");
        DateOnly until = Date(section, "until");
        return until < from
            ? throw section.Error("until", $"must not be before from ({from:yyyy-MM-dd})")
            : new AgreementValidity(from, until);
    }

    private static DateOnly Date(YamlSection section, string key)
    {
        string text = section.RequiredString(key);
        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date)
            ? date
            : throw section.Error(key, $"expected a date as YYYY-MM-DD, got '{text}'");
    }

    private static int? ReadQuorum(YamlSection root, int memberCount)
    {
        string text = root.OptionalString("quorum") ?? throw root.MappingError("quorum", "required field is missing; expected 'all' or the number of member signatures needed");
        if (text == "all")
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int quorum) && quorum >= 1 && quorum <= memberCount
            ? quorum
            : throw root.Error("quorum", $"expected 'all' or a number of signatures from 1 to {memberCount} (the number of members), got '{text}'");
    }

    private static List<string> Distinct(YamlSection section, string key, StringComparer comparer)
    {
        List<string> values = [];
        foreach ((string value, YamlNode node, string field) in section.RequiredNonEmptyStringItems(key))
        {
            if (values.Contains(value, comparer))
            {
                throw section.Error(node, field, $"'{value}' is listed twice");
            }

            values.Add(value);
        }

        return values;
    }

    private static List<string> Names(YamlSection section, string key, IReadOnlyList<string> known, string what)
    {
        List<string> names = [];
        foreach ((string value, YamlNode node, string field) in section.RequiredNonEmptyStringItems(key))
        {
            if (!known.Contains(value, StringComparer.OrdinalIgnoreCase))
            {
                throw section.Error(node, field, $"unknown {what} '{value}'; expected one of: {string.Join(", ", known)}");
            }

            names.Add(value.ToLowerInvariant());
        }

        return names;
    }
}
