using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Governance.Audit;
using Consortia.Governance.Policies;

namespace Consortia.Governance.Agreements;

/// <summary>
/// A consortium agreement: who the members are, why they train together, what may be trained, the protections and
/// outputs they agreed on, when it is valid and how members leave (format in <c>docs/agreement.md</c>).
/// </summary>
/// <remarks>
/// Read with <see cref="AgreementLoader"/>; signed with <see cref="AgreementSignatures"/>; enforced at each site by
/// <see cref="AgreementEvaluator"/>. Its identity is <see cref="Sha256"/>, the hash of <see cref="ToCanonicalJson"/>:
/// every value of the parsed agreement, so any change of meaning (a digit, a letter of a clause) changes it, while
/// comments and layout do not (re-indenting a signed file does not void its signatures).
/// </remarks>
public sealed record ConsortiumAgreement
{
    /// <summary>The format tag hashed into the canonical form.</summary>
    public const string Format = "consortia.agreement.v1";

    /// <summary>The consortium's name: jobs declare it (<c>consortium:</c>) and site policies allow it.</summary>
    public required string Name { get; init; }

    /// <summary>The agreement's revision (a positive integer; a changed agreement is a new version, signed again).</summary>
    public required int Version { get; init; }

    /// <summary>Why the consortium exists.</summary>
    public required AgreementPurpose Purpose { get; init; }

    /// <summary>The parties, in file order.</summary>
    public required IReadOnlyList<AgreementMember> Members { get; init; }

    /// <summary>The categories of data the members contribute.</summary>
    public required IReadOnlyList<DataCategory> DataCategories { get; init; }

    /// <summary>What may be trained and by whom.</summary>
    public required AgreementTraining Training { get; init; }

    /// <summary>The minimum protections.</summary>
    public required AgreementProtections Protections { get; init; }

    /// <summary>What may be released.</summary>
    public required AgreementOutputs Outputs { get; init; }

    /// <summary>When the agreement is valid.</summary>
    public required AgreementValidity Validity { get; init; }

    /// <summary>How members leave.</summary>
    public required AgreementExit Exit { get; init; }

    /// <summary>The number of member signatures the agreement needs to be in force, or <see langword="null"/> for all members.</summary>
    public int? Quorum { get; init; }

    /// <summary>The file the agreement was read from, or <see langword="null"/>; not part of the hash.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The number of valid member signatures the agreement needs.</summary>
    public int RequiredSignatures => Quorum ?? Members.Count;

    /// <summary>The SHA-256 (lowercase hex) of <see cref="ToCanonicalJson"/>: what members sign.</summary>
    public string Sha256 => Sha256Hex.OfText(ToCanonicalJson());

    /// <summary>Every data column of every category.</summary>
    public IEnumerable<string> Columns => DataCategories.SelectMany(c => c.Columns).Distinct(StringComparer.Ordinal);

    /// <summary>The member whose site is <paramref name="site"/> (ordinal), or <see langword="null"/>.</summary>
    /// <param name="site">The site's name.</param>
    /// <returns>The member.</returns>
    public AgreementMember? FindMember(string site) => Members.FirstOrDefault(m => string.Equals(m.Site, site, StringComparison.Ordinal));

    /// <summary>The parsed agreement as canonical JSON (keys sorted, no whitespace): the text its hash covers.</summary>
    /// <returns>The JSON text.</returns>
    public string ToCanonicalJson()
    {
        ArrayBufferWriter<byte> buffer = new();
        using (Utf8JsonWriter writer = new(buffer, CanonicalJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteString("name", Name);
            writer.WriteNumber("version", Version);
            writer.WriteStartObject("purpose");
            writer.WriteString("text", Purpose.Text);
            Strings(writer, "codes", Purpose.Codes);
            writer.WriteEndObject();
            writer.WriteStartArray("members");
            foreach (AgreementMember member in Members)
            {
                writer.WriteStartObject();
                writer.WriteString("organisation", member.Organisation);
                writer.WriteString("site", member.Site);
                writer.WriteString("contact", member.Contact);
                writer.WriteString("jurisdiction", member.Jurisdiction);
                writer.WriteStartObject("legal_basis");
                OptionalString(writer, "gdpr", member.LegalBasis.Gdpr);
                OptionalString(writer, "hipaa", member.LegalBasis.Hipaa);
                OptionalString(writer, "other", member.LegalBasis.Other);
                writer.WriteEndObject();
                writer.WriteString("key", member.KeyFingerprint);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("data_categories");
            foreach (DataCategory category in DataCategories)
            {
                writer.WriteStartObject();
                writer.WriteString("name", category.Name);
                writer.WriteString("description", category.Description);
                Strings(writer, "columns", category.Columns);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartObject("training");
            Strings(writer, "submitters", Training.Submitters);
            Strings(writer, "tasks", Training.Tasks);
            Strings(writer, "models", Training.Models);
            Strings(writer, "strategies", Training.Strategies);
            writer.WriteEndObject();
            writer.WriteStartObject("protections");
            writer.WriteBoolean("secure_aggregation", Protections.SecureAggregation);
            writer.WriteNumber("min_sites_per_aggregate", Protections.MinSitesPerAggregate);
            if (Protections.DifferentialPrivacy is { } dp)
            {
                writer.WriteStartObject("differential_privacy");
                writer.WriteBoolean("required", dp.Required);
                OptionalString(writer, "mode", dp.Mode is { } mode ? DpModeNames.ToName(mode) : null);
                writer.WriteNumber("epsilon_per_job", dp.EpsilonPerJob);
                writer.WriteNumber("epsilon_per_member_lifetime", dp.EpsilonPerMemberLifetime);
                writer.WriteNumber("delta", dp.Delta);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteStartObject("outputs");
            Strings(writer, "model_recipients", Outputs.ModelRecipients);
            writer.WriteNumber("min_cell_count", Outputs.MinCellCount);
            writer.WriteString("publication", Outputs.Publication);
            writer.WriteEndObject();
            writer.WriteStartObject("validity");
            writer.WriteString("from", Validity.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            writer.WriteString("until", Validity.Until.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            writer.WriteStartObject("exit");
            writer.WriteNumber("notice_days", Exit.NoticeDays);
            writer.WriteString("models", Exit.Models);
            writer.WriteEndObject();
            if (Quorum is { } quorum)
            {
                writer.WriteNumber("quorum", quorum);
            }
            else
            {
                writer.WriteString("quorum", "all");
            }

            writer.WriteEndObject();
        }

        // One canonical form for every writer: keys sorted as the ledger sorts them.
        return CanonicalJson.Canonicalize(Encoding.UTF8.GetString(buffer.WrittenSpan), "agreement");
    }

    private static void Strings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void OptionalString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
