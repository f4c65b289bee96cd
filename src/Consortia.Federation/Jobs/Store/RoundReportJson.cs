using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning.Metrics;

namespace Consortia.Federation.Jobs.Store;

/// <summary>
/// The JSON form of a <see cref="RoundReport"/> in the <c>rounds</c> table. Doubles keep their exact value (shortest
/// round-trip form; NaN and infinities as named literals); elapsed time is stored in ticks.
/// </summary>
/// <remarks>Public so that every <see cref="IJobStore"/> (SQLite here, PostgreSQL in its own project) stores reports in the same form.</remarks>
public static class RoundReportJson
{
    /// <summary>The stored JSON form of a report.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(RoundReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return SerializeCore(report);
    }

    private static string SerializeCore(RoundReport report)
    {
        RoundReportDto dto = new(
            report.Round.Value,
            [.. report.Contributors.Select(s => s.Value)],
            [.. report.Refusals.Select(Reply)],
            [.. report.Failures.Select(Reply)],
            report.TrainLoss,
            report.Evaluation is { } e ? Summary(e) : null,
            report.Aggregated,
            report.Elapsed.Ticks,
            report.AggregationFailure,
            [.. report.UpdateHashes.Select(p => new UpdateHashDto(p.Key.Value, p.Value))])
        {
            Privacy = report.Privacy.Count == 0 ? null : [.. report.Privacy.Select(Privacy)],
        };
        return JsonSerializer.Serialize(dto, PersistenceJsonContext.Default.RoundReportDto);
    }

    /// <summary>Reads a report stored by <see cref="Serialize"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The report.</returns>
    /// <exception cref="JsonException">The text is not a stored report.</exception>
    /// <exception cref="FormatException">A field has an unknown value.</exception>
    public static RoundReport Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        RoundReportDto dto = JsonSerializer.Deserialize(json, PersistenceJsonContext.Default.RoundReportDto)
            ?? throw new JsonException("The stored report is null.");
        return new RoundReport(
            new RoundNumber(dto.Round),
            [.. dto.Contributors.Select(s => new SiteId(s))],
            [.. dto.Refusals.Select(r => (Refused)FromReply(r))],
            [.. dto.Failures.Select(FromReply)],
            dto.TrainLoss,
            dto.Evaluation is { } e ? FromSummary(e) : null,
            dto.Aggregated,
            TimeSpan.FromTicks(dto.ElapsedTicks),
            dto.AggregationFailure)
        {
            UpdateHashes = [.. dto.UpdateHashes.Select(h => new KeyValuePair<SiteId, string>(new SiteId(h.Site), h.Sha256))],
            Privacy = dto.Privacy is { } privacy ? [.. privacy.Select(FromPrivacy)] : [],
        };
    }

    private static PrivacyDto Privacy(SitePrivacyReport p) =>
        new(p.Site.Value, p.Epsilon, p.Delta, p.NoiseMultiplier, p.SampleRate, p.Steps, p.LifetimeEpsilon, p.LifetimeBudget, p.Mechanism, p.RoundEpsilon);

    private static SitePrivacyReport FromPrivacy(PrivacyDto p) =>
        new(new SiteId(p.Site), p.Epsilon, p.Delta, p.NoiseMultiplier, p.SampleRate, p.Steps, p.LifetimeEpsilon, p.LifetimeBudget)
        {
            Mechanism = p.Mechanism,
            RoundEpsilon = p.RoundEpsilon,
        };

    private static ReplyDto Reply(SiteReply reply) => reply switch
    {
        Refused r => new ReplyDto("refused", r.Site.Value, r.Round.Value, r.Rule, r.Reason),
        Failed f => new ReplyDto("failed", f.Site.Value, f.Round.Value, f.Code, f.Message),
        Missed m => new ReplyDto("missed", m.Site.Value, m.Round.Value, null, null),
        _ => new ReplyDto("failed", reply.Site.Value, reply.Round.Value, "unexpected-reply", reply.GetType().Name),
    };

    private static SiteReply FromReply(ReplyDto dto)
    {
        SiteId site = new(dto.Site);
        RoundNumber round = new(dto.Round);
        return dto.Kind switch
        {
            "refused" => new Refused(site, round, dto.Code ?? "", dto.Message ?? ""),
            "failed" => new Failed(site, round, dto.Code ?? "", dto.Message ?? ""),
            "missed" => new Missed(site, round),
            _ => throw new FormatException($"Unknown reply kind '{dto.Kind}'."),
        };
    }

    private static MetricSummaryDto Summary(MetricSummary summary) => new(
        [.. summary.Mean.Select(Metric)],
        [.. summary.Weighted.Select(Metric)],
        [.. summary.Sites.Select(s => new EvaluationDto(s.Site.Value, s.Examples, [.. s.Metrics.Select(Metric)]) { Personal = s.Personal is { } p ? [.. p.Select(Metric)] : null })]);

    private static MetricSummary FromSummary(MetricSummaryDto dto) => new(
        [.. dto.Mean.Select(FromMetric)],
        [.. dto.Weighted.Select(FromMetric)],
        [.. dto.Sites.Select(s => new EvaluationReport(new SiteId(s.Site), s.Examples, [.. s.Metrics.Select(FromMetric)]) { Personal = s.Personal is { } p ? [.. p.Select(FromMetric)] : null })]);

    private static MetricDto Metric(MetricValue value) => new(value.Kind.ToString(), value.Value);

    private static MetricValue FromMetric(MetricDto dto) =>
        Enum.TryParse(dto.Kind, ignoreCase: false, out MetricKind kind) && Enum.IsDefined(kind) && !int.TryParse(dto.Kind, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            ? new MetricValue(kind, dto.Value)
            : throw new FormatException($"Unknown metric '{dto.Kind}'.");
}

internal sealed record RoundReportDto(
    int Round,
    string[] Contributors,
    ReplyDto[] Refusals,
    ReplyDto[] Failures,
    double TrainLoss,
    MetricSummaryDto? Evaluation,
    bool Aggregated,
    long ElapsedTicks,
    string? AggregationFailure,
    UpdateHashDto[] UpdateHashes)
{
    /// <summary>The sites' own privacy accounting (<see cref="RoundReport.Privacy"/>); absent in rounds stored without it.</summary>
    public PrivacyDto[]? Privacy { get; init; }
}

internal sealed record PrivacyDto(string Site, double Epsilon, double Delta, double NoiseMultiplier, double SampleRate, long Steps, double? LifetimeEpsilon, double? LifetimeBudget, string Mechanism, double RoundEpsilon);

internal sealed record ReplyDto(string Kind, string Site, int Round, string? Code, string? Message);

internal sealed record MetricSummaryDto(MetricDto[] Mean, MetricDto[] Weighted, EvaluationDto[] Sites);

internal sealed record EvaluationDto(string Site, int Examples, MetricDto[] Metrics)
{
    /// <summary>The site's personal model's metrics (<c>personalisation:</c>); absent in rounds stored without it.</summary>
    public MetricDto[]? Personal { get; init; }
}

internal sealed record MetricDto(string Kind, double Value);

internal sealed record UpdateHashDto(string Site, string Sha256);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    RespectRequiredConstructorParameters = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(RoundReportDto))]
internal sealed partial class PersistenceJsonContext : JsonSerializerContext;
