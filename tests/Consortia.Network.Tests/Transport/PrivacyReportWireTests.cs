using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Google.Protobuf;

namespace Consortia.Network.Tests.Transport;

/// <summary>
/// A site's privacy accounting travels with its training reply (plain update or secure aggregation's TrainingPrepared),
/// unchanged; the coordinator rejects a report that is not the sending site's own or holds impossible values, naming the field.
/// </summary>
public sealed class PrivacyReportWireTests
{
    private static readonly SiteId s_site = new("st-olav");
    private static readonly ParameterLayout s_layout = ParameterLayout.Create(("w", [3]));

    private static readonly SitePrivacyReport s_withLedger = new(s_site, 1.25, 1e-5, 1.1, 0.02, 300, 2.5, 8.0) { RoundEpsilon = 0.5 };

    private static readonly SitePrivacyReport s_distributed = new(s_site, 3.0, 1e-5, 0.9, 1.0, 2, 3.5, 10.0) { Mechanism = "distributed_skellam", RoundEpsilon = 2.1 };

    private static readonly SitePrivacyReport s_noLedger = new(s_site, 0.75, 1e-6, 2.0, 0.01, 100, null, null) { RoundEpsilon = 0.75 };

    private static TrainingCompleted Completed(SitePrivacyReport? privacy) =>
        new(s_site, new RoundNumber(4), new SiteUpdate(s_site, new ParameterVector(s_layout, [0.1f, -0.2f, 0.3f]), 10, double.NaN, 5)) { Privacy = privacy };

    private static TrainingPrepared Prepared(SitePrivacyReport? privacy) => new(s_site, new RoundNumber(4), 5) { Privacy = privacy };

    public static TheoryData<string> Reports => ["ledger", "distributed", "no-ledger"];

    private static SitePrivacyReport Report(string name) => name switch
    {
        "ledger" => s_withLedger,
        "distributed" => s_distributed,
        _ => s_noLedger,
    };

    /// <summary>Encodes, serialises and decodes <paramref name="reply"/> as the gateway does, from authenticated site <paramref name="from"/>.</summary>
    private static SiteReply RoundTrip(SiteReply reply, SiteId from, Action<ReplyHeader>? tamper = null)
    {
        WireItem<ReplyHeader> item = WireCodec.Encode(reply, "item-1");
        tamper?.Invoke(item.Header);
        ReplyHeader parsed = ReplyHeader.Parser.ParseFrom(item.Header.ToByteArray());
        PayloadAssembler payload = new(parsed.ItemId, WireCodec.Vectors(parsed), parsed.PayloadBytes);
        foreach (Chunk chunk in VectorPayload.Chunks(parsed.ItemId, item.Payload))
        {
            payload.Add(chunk);
        }

        Assert.True(payload.IsComplete);
        return WireCodec.Decode(parsed, payload, from);
    }

    [Theory]
    [MemberData(nameof(Reports))]
    public void TrainingCompleted_CarriesTheSitesReport_Unchanged(string name)
    {
        SitePrivacyReport report = Report(name);

        TrainingCompleted decoded = Assert.IsType<TrainingCompleted>(RoundTrip(Completed(report), s_site));

        Assert.Equal(report, decoded.Privacy);
        Assert.Equal([0.1f, -0.2f, 0.3f], decoded.Update.WeightedDelta.Values.ToArray());
    }

    [Theory]
    [MemberData(nameof(Reports))]
    public void TrainingPrepared_CarriesTheSitesReport_Unchanged(string name)
    {
        SitePrivacyReport report = Report(name);

        TrainingPrepared decoded = Assert.IsType<TrainingPrepared>(RoundTrip(Prepared(report), s_site));

        Assert.Equal(report, decoded.Privacy);
        Assert.Equal(5, decoded.Steps);
    }

    [Fact]
    public void Replies_WithoutDp_CarryNoReport()
    {
        Assert.Null(Assert.IsType<TrainingCompleted>(RoundTrip(Completed(null), s_site)).Privacy);
        Assert.Null(Assert.IsType<TrainingPrepared>(RoundTrip(Prepared(null), s_site)).Privacy);
        Assert.Null(WireCodec.Encode(Completed(null), "item-1").Header.TrainingCompleted.Privacy);
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "another-site", "privacy.site: the report names 'haukeland', but it came from 'st-olav'" },
        { "empty-site", "privacy.site: expected a non-empty text" },
        { "nan-epsilon", "privacy.epsilon: expected a finite number ≥ 0, got NaN" },
        { "infinite-epsilon", "privacy.epsilon: expected a finite number ≥ 0, got Infinity" },
        { "negative-epsilon", "privacy.epsilon: expected a finite number ≥ 0, got -1" },
        { "negative-round-epsilon", "privacy.round_epsilon: expected a finite number ≥ 0, got -0.5" },
        { "round-above-job", "privacy.round_epsilon: 2 exceeds the job's epsilon 1.25" },
        { "zero-delta", "privacy.delta: expected a number in (0, 1), got 0" },
        { "nan-delta", "privacy.delta: expected a number in (0, 1), got NaN" },
        { "negative-sigma", "privacy.noise_multiplier: expected a finite number ≥ 0, got -1.1" },
        { "infinite-sigma", "privacy.noise_multiplier: expected a finite number ≥ 0, got Infinity" },
        { "rate-above-one", "privacy.sample_rate: expected a number in (0, 1], got 1.5" },
        { "negative-steps", "privacy.steps: expected ≥ 0, got -3" },
        { "wrong-mechanism", "privacy.mechanism: expected one of sampled_gaussian, distributed_discrete_gaussian, distributed_skellam, got 'laplace'" },
        { "lifetime-without-budget", "privacy.lifetime_epsilon, lifetime_budget: expected both or neither" },
        { "nan-lifetime", "privacy.lifetime_epsilon: expected a finite number ≥ 0, got NaN" },
        { "zero-budget", "privacy.lifetime_budget: expected a finite number > 0, got 0" },
        { "spent-above-budget", "privacy.lifetime_epsilon: 9 exceeds the lifetime budget 8, which the site's ledger never allows" },
    };

    private static readonly Dictionary<string, Action<SitePrivacyProto>> s_tamper = new()
    {
        ["another-site"] = p => p.Site = "haukeland",
        ["empty-site"] = p => p.Site = "",
        ["nan-epsilon"] = p => p.Epsilon = double.NaN,
        ["infinite-epsilon"] = p => p.Epsilon = double.PositiveInfinity,
        ["negative-epsilon"] = p => p.Epsilon = -1,
        ["negative-round-epsilon"] = p => p.RoundEpsilon = -0.5,
        ["round-above-job"] = p => p.RoundEpsilon = 2,
        ["zero-delta"] = p => p.Delta = 0,
        ["nan-delta"] = p => p.Delta = double.NaN,
        ["negative-sigma"] = p => p.NoiseMultiplier = -1.1,
        ["infinite-sigma"] = p => p.NoiseMultiplier = double.PositiveInfinity,
        ["rate-above-one"] = p => p.SampleRate = 1.5,
        ["negative-steps"] = p => p.Steps = -3,
        ["wrong-mechanism"] = p => p.Mechanism = "laplace",
        ["lifetime-without-budget"] = p => p.ClearLifetimeBudget(),
        ["nan-lifetime"] = p => p.LifetimeEpsilon = double.NaN,
        ["zero-budget"] = p => p.LifetimeBudget = 0,
        ["spent-above-budget"] = p => p.LifetimeEpsilon = 9,
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void TrainingCompleted_WithAHostileReport_IsMalformed_NamingTheField(string how, string expected)
    {
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => RoundTrip(Completed(s_withLedger), s_site, h => s_tamper[how](h.TrainingCompleted.Privacy)));

        Assert.Equal($"training_completed.{expected}.", error.Message);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void TrainingPrepared_WithAHostileReport_IsMalformed_NamingTheField(string how, string expected)
    {
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => RoundTrip(Prepared(s_withLedger), s_site, h => s_tamper[how](h.TrainingPrepared.Privacy)));

        Assert.Equal($"training_prepared.{expected}.", error.Message);
    }

    [Fact]
    public void Report_FromAnotherAuthenticatedSite_IsMalformed()
    {
        // The honest encoding of st-olav's reply, pushed by a node holding haukeland's certificate.
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => RoundTrip(Completed(s_withLedger), new SiteId("haukeland")));

        Assert.Contains("the report names 'st-olav', but it came from 'haukeland'", error.Message, StringComparison.Ordinal);
    }
}
