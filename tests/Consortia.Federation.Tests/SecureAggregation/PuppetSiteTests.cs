using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Quantization;
using Consortia.SecureAggregation.Signing;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.SecureAggregation;

/// <summary>
/// A coordinator that runs puppet sites (issue 12, attack 1) gets nothing: a site authenticates every secure
/// aggregation peer against the roster it accepted, and checks the session's mode and threshold against its own policy.
/// </summary>
public sealed class PuppetSiteTests : IDisposable
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly RoundNumber s_round = new(1);
    private readonly FederatedDataset _data = Some.ClassificationFederation(3);
    private readonly SimulatedConsortium _consortium;

    public PuppetSiteTests()
    {
        // The roster: the three real sites and two more members that take part in no data here.
        _consortium = SimulatedConsortium.Create("heart", [.. _data.Sites.Select(s => s.Name), "member-4", "member-5"]);
    }

    private string Victim => _data.Sites[0].Name;

    public void Dispose() => _consortium.Dispose();

    [Fact]
    public async Task Site_SessionWithPuppetsNotOnTheRoster_RefusesBeforeTraining()
    {
        using SiteAgent victim = Agent(minimum: 3);
        SecAggSessionOptions session = Session([Victim, "puppet-1", "puppet-2"], threshold: 3);

        Refused refused = Assert.IsType<Refused>(await victim.HandleAsync(Train(session), TestContext.Current.CancellationToken));

        Assert.Equal(SecureSessionGuard.RosterRule, refused.Rule);
        Assert.Contains("'puppet-1', 'puppet-2' are not in the accepted roster", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Site_PuppetsUnderRealSiteNames_AbortBeforeReleasingAnyShare()
    {
        // The coordinator names real members but plays them itself, with keys of its own (it cannot sign with theirs).
        using SiteAgent victim = Agent(minimum: 3);
        SecAggSessionOptions session = Session([Victim, _data.Sites[1].Name, _data.Sites[2].Name], threshold: 3);
        Assert.IsType<TrainingPrepared>(await victim.HandleAsync(Train(session), TestContext.Current.CancellationToken));
        using DeterministicSecureRandom random = new(5);
        using EcdsaP256Signer puppetKey = EcdsaP256Signer.Create(random.Derive(1));
        int self = Index(session, Victim);
        SecAggClient[] puppets = [.. Enumerable.Range(1, 3).Where(i => i != self).Select(i => Puppet(session, i, puppetKey, random.Derive((ulong)(10 + i))))];
        using SecAggServer server = new(session, new AnyValidLength());

        List<SecAggClientMessage> sent = [];
        ServerStep.Send open = server.Start();
        foreach (SecAggServerMessage message in open.Messages)
        {
            SecAggClientMessage reply = message.Recipient.Value == self
                ? Assert.IsType<SecAggReplied>(await victim.HandleAsync(new SecAggTask(new SiteId(Victim), s_round, message) { JobSha256 = TestSites.JobSha256 }, TestContext.Current.CancellationToken)).Message
                : Assert.IsType<ClientStep.Reply>(puppets.Single(p => p.Self == message.Recipient).Handle(message)).Message;
            sent.Add(reply);
            Assert.True(server.TryAccept(reply, out _));
        }

        ServerStep.Send roster = Assert.IsType<ServerStep.Send>(server.Advance());
        SiteReply answer = await victim.HandleAsync(new SecAggTask(new SiteId(Victim), s_round, roster.Messages.Single(m => m.Recipient.Value == self)) { JobSha256 = TestSites.JobSha256 }, TestContext.Current.CancellationToken);

        Failed failed = Assert.IsType<Failed>(answer);
        Assert.Equal("secagg-aborted", failed.Code);
        Assert.Contains(nameof(SecAggError.InvalidSignature), failed.Message, StringComparison.Ordinal);
        Assert.IsType<KeyAdvertisement>(Assert.Single(sent, m => m.Sender.Value == self)); // its fresh public keys: nothing else left the site
        foreach (SecAggClient puppet in puppets)
        {
            puppet.Dispose();
        }
    }

    [Fact]
    public async Task Site_SemiHonestSession_IsRefused()
    {
        using SiteAgent victim = Agent(minimum: 3);
        SecAggSessionOptions session = Session([.. _data.Sites.Select(s => s.Name)], threshold: 2) with { SecurityMode = SecAggSecurityMode.SemiHonest };

        Refused refused = Assert.IsType<Refused>(await victim.HandleAsync(Train(session), TestContext.Current.CancellationToken));

        Assert.Equal(SecureSessionGuard.ModeRule, refused.Rule);
    }

    [Fact]
    public async Task Site_ThresholdNotAboveHalfTheHolders_IsRefused()
    {
        using SiteAgent victim = Agent(minimum: 2);
        SecAggSessionOptions session = Session([.. _data.Sites.Select(s => s.Name), "member-4"], threshold: 2);

        Refused refused = Assert.IsType<Refused>(await victim.HandleAsync(Train(session), TestContext.Current.CancellationToken));

        Assert.Equal(SecureSessionGuard.ThresholdRule, refused.Rule);
        Assert.Contains("2t must exceed the holders", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Site_ThresholdBelowItsPolicyMinimum_IsRefused()
    {
        using SiteAgent victim = Agent(minimum: 4);
        SecAggSessionOptions session = Session([.. _data.Sites.Select(s => s.Name), "member-4", "member-5"], threshold: 3);

        Refused refused = Assert.IsType<Refused>(await victim.HandleAsync(Train(session), TestContext.Current.CancellationToken));

        Assert.Equal(SecureSessionGuard.ThresholdRule, refused.Rule);
        Assert.Contains("below this site's minimum of 4", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Site_WithoutAnAcceptedRoster_RefusesSecureTasks()
    {
        using SiteAgent victim = Agent(minimum: 3, roster: false);
        SecAggSessionOptions session = Session([.. _data.Sites.Select(s => s.Name)], threshold: 3);

        Refused refused = Assert.IsType<Refused>(await victim.HandleAsync(Train(session), TestContext.Current.CancellationToken));

        Assert.Equal(SecureSessionGuard.RosterRule, refused.Rule);
        Assert.Contains("accepted no consortium roster", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Site_SurvivorSetBelowItsMinimum_RefusesToSignOrUnmask()
    {
        // Honest members (they hold their roster keys); the coordinator then claims only 3 of 5 survived.
        using SiteAgent victim = Agent(minimum: 4);
        string[] members = [.. _data.Sites.Select(s => s.Name), "member-4", "member-5"];
        SecAggSessionOptions session = Session(members, threshold: 4);
        Assert.IsType<TrainingPrepared>(await victim.HandleAsync(Train(session), TestContext.Current.CancellationToken));
        int self = Index(session, Victim);
        using DeterministicSecureRandom random = new(6);
        SecAggClient[] others = [.. Enumerable.Range(1, 5).Where(i => i != self).Select(i => Honest(session, i, random.Derive((ulong)i)))];
        using SecAggServer server = new(session, new RosterSignatureVerifier(_consortium.Roster, session.Participants));

        ServerStep step = server.Start();
        for (int stage = 0; stage < 3; stage++)
        {
            ServerStep.Send send = Assert.IsType<ServerStep.Send>(step);
            foreach (SecAggServerMessage message in send.Messages)
            {
                SecAggClientMessage reply = message.Recipient.Value == self
                    ? Assert.IsType<SecAggReplied>(await victim.HandleAsync(new SecAggTask(new SiteId(Victim), s_round, message) { JobSha256 = TestSites.JobSha256 }, TestContext.Current.CancellationToken)).Message
                    : Assert.IsType<ClientStep.Reply>(others.Single(c => c.Self == message.Recipient).Handle(message)).Message;
                Assert.True(server.TryAccept(reply, out SecAggRejection? rejection), rejection?.ToString());
            }

            step = server.Advance();
        }

        ConsistencyRequest request = Assert.IsType<ConsistencyRequest>(Assert.IsType<ServerStep.Send>(step).Messages.Single(m => m.Recipient.Value == self));
        ConsistencyRequest shrunk = request with { Survivors = [.. request.Survivors.Where(s => s.Value == self || s.Value <= 3).Take(3)] };
        Failed failed = Assert.IsType<Failed>(await victim.HandleAsync(new SecAggTask(new SiteId(Victim), s_round, shrunk) { JobSha256 = TestSites.JobSha256 }, TestContext.Current.CancellationToken));

        Assert.Contains(nameof(SecAggError.InsufficientSurvivors), failed.Message, StringComparison.Ordinal);
        foreach (SecAggClient other in others)
        {
            other.Dispose();
        }
    }

    private SiteAgent Agent(int minimum, bool roster = true)
    {
        JobDefinition job = TestSites.Job(s_spec, 8, [MetricKind.Accuracy], _data.Sites[0].Train.FeatureNames) with
        {
            Consortium = "heart",
            Engine = new RoundEngineOptions { MinimumParticipants = minimum, SecureAggregation = new SecureAggregationSettings() }, // the job the site accepted uses secure aggregation
        };
        SitePolicy accepting = MeasurementPolicy.Accepting(job.Describe()).Policy!; // not null: Accepting builds a policy
        return new SiteBuilder
        {
            Job = job,
            Site = new SiteId(Victim),
            Train = _data.Sites[0].Train,
            Test = _data.Sites[0].Test,
            Task = _data.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(1)),
            Time = new FakeTimeProvider(),
            Policy = new PolicyEvaluator(accepting with { Protections = accepting.Protections with { MinSitesPerAggregate = minimum } }),
            SigningKey = _consortium.KeyOf(Victim),
            Roster = roster ? _consortium.Roster : null,
        }.Build();
    }

    private static SecAggSessionOptions Session(string[] participants, int threshold) => new()
    {
        JobId = new RoundEngineOptions().JobName, // the accepted job's, as the task guard requires
        RoundNumber = s_round.Value,
        Participants = [.. participants.Order(StringComparer.Ordinal)],
        VectorLength = s_spec.CreateLayout().Length + 2,
        Threshold = threshold,
        SecurityMode = SecAggSecurityMode.MaliciousServer,
    };

    private TrainTask Train(SecAggSessionOptions session) =>
        new(new SiteId(Victim), s_round, new ParameterVector(s_spec.CreateLayout()), new LocalTrainingOptions { BatchSize = 8, LocalSteps = 2 }, null,
            new SecureTrainingSession(session, new FixedPointOptions { ClipRange = 1000, MaxSummands = session.ParticipantCount }, Index(session, Victim), ControlVariates: false))
        { Participants = session.ParticipantCount, JobSha256 = TestSites.JobSha256 };

    private static int Index(SecAggSessionOptions session, string site) => session.Participants.ToList().IndexOf(site) + 1;

    private static SecAggClient Puppet(SecAggSessionOptions session, int index, ISigner key, ISecureRandom random)
    {
        SecAggClient client = new(session, new ParticipantIndex(index), random, key, new AnyValidLength());
        client.ProvideInput(new uint[session.VectorLength]);
        return client;
    }

    private SecAggClient Honest(SecAggSessionOptions session, int index, ISecureRandom random)
    {
        SecAggClient client = new(session, new ParticipantIndex(index), random, new SiteSigner(_consortium.KeyOf(session.Participants[index - 1])), new RosterSignatureVerifier(_consortium.Roster, session.Participants));
        client.ProvideInput(new uint[session.VectorLength]);
        return client;
    }

    /// <summary>The coordinator's own puppets trust whatever it says.</summary>
    private sealed class AnyValidLength : ISignatureVerifier
    {
        public bool Verify(ParticipantIndex signer, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature) => signature.Length == EcdsaP256Signer.SignatureLength;
    }
}
