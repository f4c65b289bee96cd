using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Consortia.Governance.Policies;

namespace Consortia.Governance.Audit.Events;

/// <summary>Encodes events as canonical JSON payloads and decodes them back.</summary>
/// <remarks>Field order is fixed per type and every field is always written (null when absent), so equal events give equal bytes.</remarks>
internal static class LedgerEventCodec
{
    public static string Encode(LedgerEvent ledgerEvent)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);
        string? details = ledgerEvent.Details is null ? null : CanonicalJson.Canonicalize(ledgerEvent.Details, "details");
        ArrayBufferWriter<byte> buffer = new();
        using (Utf8JsonWriter w = new(buffer, CanonicalJson.WriterOptions))
        {
            w.WriteStartObject();
            switch (ledgerEvent)
            {
                case JobReceivedEvent e:
                    Text(w, "job_id", e.JobId);
                    Hash(w, "manifest_sha256", e.ManifestSha256);
                    Text(w, "consortium", e.Consortium, allowEmpty: true);
                    Text(w, "owner", e.Owner, allowEmpty: true);
                    break;
                case PolicyDecisionEvent e:
                    Text(w, "job_id", e.JobId);
                    Round(w, "round", e.Round);
                    w.WriteBoolean("accepted", e.Accepted);
                    Integer(w, "policy_version", e.PolicyVersion);
                    NullableHash(w, "policy_sha256", e.PolicySha256);
                    ArgumentNullException.ThrowIfNull(e.Rules, "rules");
                    w.WriteStartArray("rules");
                    foreach (RuleResult rule in e.Rules)
                    {
                        ArgumentNullException.ThrowIfNull(rule, "rules[]");
                        w.WriteStartObject();
                        Text(w, "rule", rule.Rule);
                        w.WriteBoolean("passed", rule.Passed);
                        Text(w, "reason", rule.Reason, allowEmpty: true);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    break;
                case RoundTrainedEvent e:
                    Text(w, "job_id", e.JobId);
                    Round(w, "round", e.Round);
                    Count(w, "example_count", e.ExampleCount);
                    break;
                case UpdateSentEvent e:
                    Text(w, "job_id", e.JobId);
                    Round(w, "round", e.Round);
                    Hash(w, "update_sha256", e.UpdateSha256);
                    Count(w, "size_bytes", e.SizeBytes);
                    w.WriteString("kind", UpdateKindName(e.Kind));
                    break;
                case PrivacyChargeEvent e:
                    Text(w, "job_id", e.JobId);
                    Round(w, "round", e.Round);
                    w.WriteString("mode", DpModeNames.ToName(e.Mode));
                    Number(w, "job_epsilon", e.JobEpsilon);
                    Number(w, "delta", e.Delta);
                    Number(w, "lifetime_epsilon", e.LifetimeEpsilon);
                    Number(w, "lifetime_budget", e.LifetimeBudget);
                    break;
                case AggregateReceivedEvent e:
                    Text(w, "job_id", e.JobId);
                    Round(w, "round", e.Round);
                    Hash(w, "aggregate_sha256", e.AggregateSha256);
                    Count(w, "contributing_sites", e.ContributingSites);
                    break;
                case ModelReleasedEvent e:
                    Text(w, "job_id", e.JobId);
                    Hash(w, "model_sha256", e.ModelSha256);
                    Text(w, "destination", e.Destination);
                    break;
                case ConfigurationChangeEvent e:
                    Text(w, "item", e.Item);
                    NullableHash(w, "previous_sha256", e.PreviousSha256);
                    Hash(w, "new_sha256", e.NewSha256);
                    Text(w, "description", e.Description, allowEmpty: true);
                    break;
                case RoundCompletedEvent e:
                    Text(w, "job_id", e.JobId);
                    Round(w, "round", e.Round);
                    NullableHash(w, "aggregate_sha256", e.AggregateSha256);
                    ArgumentNullException.ThrowIfNull(e.Updates, "updates");
                    w.WriteStartArray("updates");
                    foreach (SiteUpdateHash update in e.Updates)
                    {
                        ArgumentNullException.ThrowIfNull(update, "updates[]");
                        w.WriteStartObject();
                        Text(w, "site_id", update.SiteId);
                        Hash(w, "update_sha256", update.UpdateSha256);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    break;
                case RedTeamReportEvent e:
                    Text(w, "job_id", e.JobId);
                    Hash(w, "report_sha256", e.ReportSha256);
                    NullableHash(w, "previous_sha256", e.PreviousSha256);
                    Text(w, "settings", e.Settings, allowEmpty: true);
                    break;
                case FairnessAuditEvent e:
                    Text(w, "job_id", e.JobId);
                    Hash(w, "model_sha256", e.ModelSha256);
                    Texts(w, "attributes", e.Attributes);
                    w.WriteString("release", FairnessReleaseName(e.Release));
                    Hash(w, "sha256", e.Sha256);
                    Count(w, "sites", e.Sites);
                    Texts(w, "withheld", e.Withheld);
                    break;
                default:
                    throw new UnreachableException($"Unknown ledger event {ledgerEvent.GetType().Name}.");
            }

            if (ledgerEvent.RunId is { } runId)
            {
                Text(w, "run_id", runId);
            }

            w.WritePropertyName("details");
            if (details is null)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteRawValue(details, skipInputValidation: true);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <exception cref="FormatException">The payload does not match the type's schema.</exception>
    public static LedgerEvent Decode(LedgerEventType type, string payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, CanonicalJson.ReadOptions);
        }
        catch (JsonException error)
        {
            throw new FormatException($"payload is not valid JSON: {error.Message}", error);
        }

        using (document)
        {
            JsonElement o = document.RootElement;
            if (o.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("payload is not a JSON object");
            }

            LedgerEvent result = type switch
            {
                LedgerEventType.JobReceived => new JobReceivedEvent(S(o, "job_id"), S(o, "manifest_sha256"), S(o, "consortium"), S(o, "owner")),
                LedgerEventType.PolicyDecision => new PolicyDecisionEvent(
                    S(o, "job_id"), NI(o, "round"), B(o, "accepted"), NI(o, "policy_version"), NS(o, "policy_sha256"),
                    A(o, "rules").Select(r => new RuleResult(S(r, "rule"), B(r, "passed"), S(r, "reason"))).ToList()),
                LedgerEventType.RoundTrained => new RoundTrainedEvent(S(o, "job_id"), I(o, "round"), L(o, "example_count")),
                LedgerEventType.UpdateSent => new UpdateSentEvent(S(o, "job_id"), I(o, "round"), S(o, "update_sha256"), L(o, "size_bytes"), ParseUpdateKind(S(o, "kind"))),
                LedgerEventType.PrivacyCharge => new PrivacyChargeEvent(S(o, "job_id"), NI(o, "round"), ParseMode(S(o, "mode")), D(o, "job_epsilon"), D(o, "delta"))
                {
                    LifetimeEpsilon = ND(o, "lifetime_epsilon"),
                    LifetimeBudget = ND(o, "lifetime_budget"),
                },
                LedgerEventType.AggregateReceived => new AggregateReceivedEvent(S(o, "job_id"), I(o, "round"), S(o, "aggregate_sha256"), I(o, "contributing_sites")),
                LedgerEventType.ModelReleased => new ModelReleasedEvent(S(o, "job_id"), S(o, "model_sha256"), S(o, "destination")),
                LedgerEventType.ConfigurationChange => new ConfigurationChangeEvent(S(o, "item"), NS(o, "previous_sha256"), S(o, "new_sha256"), S(o, "description")),
                LedgerEventType.RoundCompleted => new RoundCompletedEvent(
                    S(o, "job_id"), I(o, "round"), A(o, "updates").Select(u => new SiteUpdateHash(S(u, "site_id"), S(u, "update_sha256"))).ToList())
                {
                    AggregateSha256 = NS(o, "aggregate_sha256"),
                },
                LedgerEventType.RedTeamReport => new RedTeamReportEvent(S(o, "job_id"), S(o, "report_sha256"), NS(o, "previous_sha256"), S(o, "settings")),
                LedgerEventType.FairnessAudit => new FairnessAuditEvent(
                    S(o, "job_id"), S(o, "model_sha256"), SA(o, "attributes"), ParseFairnessRelease(S(o, "release")), S(o, "sha256"), I(o, "sites"), SA(o, "withheld")),
                _ => throw new UnreachableException($"Unknown ledger event type {(int)type}."),
            };

            if (o.TryGetProperty("run_id", out JsonElement run))
            {
                result = result with { RunId = run.ValueKind == JsonValueKind.String && run.GetString() is { Length: > 0 } id ? id : throw new FormatException("run_id: must be a non-empty string") };
            }

            JsonElement details = Get(o, "details");
            return details.ValueKind == JsonValueKind.Null ? result : result with { Details = details.GetRawText() };
        }
    }

    public static string UpdateKindName(UpdateKind kind) => kind switch
    {
        UpdateKind.Masked => "masked",
        UpdateKind.Plain => "plain",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown update kind."),
    };

    private static UpdateKind ParseUpdateKind(string text) => text switch
    {
        "masked" => UpdateKind.Masked,
        "plain" => UpdateKind.Plain,
        _ => throw new FormatException($"kind: unknown update kind '{text}'"),
    };

    public static string FairnessReleaseName(FairnessRelease release) => release switch
    {
        FairnessRelease.Plain => "plain",
        FairnessRelease.Masked => "masked",
        FairnessRelease.Report => "report",
        _ => throw new ArgumentOutOfRangeException(nameof(release), release, "Unknown fairness release."),
    };

    private static FairnessRelease ParseFairnessRelease(string text) => text switch
    {
        "plain" => FairnessRelease.Plain,
        "masked" => FairnessRelease.Masked,
        "report" => FairnessRelease.Report,
        _ => throw new FormatException($"release: unknown fairness release '{text}'"),
    };

    private static void Texts(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        w.WriteStartArray(name);
        foreach (string value in values)
        {
            if (string.IsNullOrEmpty(value))
            {
                throw new ArgumentException($"{name}[]: must be non-empty strings.", name);
            }

            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static List<string> SA(JsonElement o, string name)
    {
        JsonElement e = Get(o, name);
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{name}: expected an array");
        }

        return e.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String ? item.GetString()! /* kind checked */ : throw new FormatException($"{name}[]: expected a string")).ToList();
    }

    private static DpMode ParseMode(string text) =>
        DpModeNames.TryParse(text, out DpMode mode) ? mode : throw new FormatException($"mode: unknown DP mode '{text}'");

    private static void Text(Utf8JsonWriter w, string name, string value, bool allowEmpty = false)
    {
        if (value is null || (!allowEmpty && value.Length == 0))
        {
            throw new ArgumentException($"{name}: must be a non-empty string.", name);
        }

        w.WriteString(name, value);
    }

    private static void Hash(Utf8JsonWriter w, string name, string value)
    {
        if (!Sha256Hex.IsValid(value))
        {
            throw new ArgumentException($"{name}: must be a SHA-256 as 64 lowercase hex digits, got '{value}'.", name);
        }

        w.WriteString(name, value);
    }

    private static void NullableHash(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            Hash(w, name, value);
        }
    }

    private static void Round(Utf8JsonWriter w, string name, int? round)
    {
        if (round is < 0)
        {
            throw new ArgumentException($"{name}: must not be negative, got {round}.", name);
        }

        Integer(w, name, round);
    }

    private static void Integer(Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void Count(Utf8JsonWriter w, string name, long value)
    {
        if (value < 0)
        {
            throw new ArgumentException($"{name}: must not be negative, got {value}.", name);
        }

        w.WriteNumber(name, value);
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is not { } v)
        {
            w.WriteNull(name);
            return;
        }

        if (!double.IsFinite(v) || v < 0)
        {
            throw new ArgumentException($"{name}: must be a non-negative finite number, got {v}.", name);
        }

        w.WriteNumber(name, v);
    }

    private static JsonElement Get(JsonElement o, string name) =>
        o.TryGetProperty(name, out JsonElement value) ? value : throw new FormatException($"{name}: missing");

    private static string S(JsonElement o, string name)
    {
        JsonElement e = Get(o, name);
        return e.ValueKind == JsonValueKind.String ? e.GetString()! /* kind checked: not null */ : throw new FormatException($"{name}: expected a string");
    }

    private static string? NS(JsonElement o, string name) => Get(o, name).ValueKind == JsonValueKind.Null ? null : S(o, name);

    private static bool B(JsonElement o, string name) => Get(o, name).ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new FormatException($"{name}: expected true or false"),
    };

    private static int I(JsonElement o, string name) =>
        Get(o, name) is { ValueKind: JsonValueKind.Number } e && e.TryGetInt32(out int v) ? v : throw new FormatException($"{name}: expected an integer");

    private static int? NI(JsonElement o, string name) => Get(o, name).ValueKind == JsonValueKind.Null ? null : I(o, name);

    private static long L(JsonElement o, string name) =>
        Get(o, name) is { ValueKind: JsonValueKind.Number } e && e.TryGetInt64(out long v) ? v : throw new FormatException($"{name}: expected an integer");

    private static double D(JsonElement o, string name) =>
        Get(o, name) is { ValueKind: JsonValueKind.Number } e && e.TryGetDouble(out double v) ? v : throw new FormatException($"{name}: expected a number");

    private static double? ND(JsonElement o, string name) => Get(o, name).ValueKind == JsonValueKind.Null ? null : D(o, name);

    private static List<JsonElement> A(JsonElement o, string name)
    {
        JsonElement e = Get(o, name);
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{name}: expected an array");
        }

        return e.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.Object ? item : throw new FormatException($"{name}[]: expected an object")).ToList();
    }
}
