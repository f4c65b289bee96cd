using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Transport;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.Learning;
using Consortia.Learning.Training;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Quantization;
using Consortia.SecureAggregation.Signing;

namespace Consortia.Federation.RedTeam;

/// <summary>The attacks on secure aggregation: puppet sites, a threshold too low, hostile sender indexes.</summary>
public static partial class CoordinatorRedTeam
{
    /// <summary>
    /// Puppet sites (issue 12, attack 1): the coordinator holds the consortium CA, so it can mint identities for sites
    /// that do not exist. It runs the victim in a secure-aggregation session whose other two participants are its own
    /// puppets with zero input: the "sum" is the victim's update. (The real sites would meanwhile run with a puppet in
    /// the victim's place, so every real site ends the round "Completed".)
    /// </summary>
    private static async Task<AttackOutcome> PuppetAsync(Arena arena, CancellationToken cancellationToken)
    {
        const string Name = "puppet";
        JobDefinition job = arena.Job("puppet", Arena.SecureAggregation);

        // The coordinator's puppets: fresh keys, entries "joined" under names the coordinator made up. A site that trusts
        // identities the coordinator issues (the weakened one) takes them into its roster; the real one never does.
        using SimulatedConsortium puppetKeys = SimulatedConsortium.Create(job.Consortium, ["puppet-1", "puppet-2"]);
        using Victims sites = arena.Sites(job, Arena.StrictPolicy, pushed: puppetKeys.Roster.Members);
        SiteAgent victim = sites.Agents[0];
        ConsortiumRoster issued = puppetKeys.Roster.Members.Aggregate(sites.Roster, (r, m) => r.With(m)); // what the coordinator's CA vouches for

        TrainTask task = PuppetTask(job, victim.Site, arena.Initial(job));
        SiteReply prepared = await victim.HandleAsync(task, cancellationToken).ConfigureAwait(false);
        if (prepared is TrainingPrepared)
        {
            return await PuppetSessionAsync(Name, arena, job, victim, task.SecureSession!, i => puppetKeys.KeyOf($"puppet-{i}"), new RosterSignatureVerifier(issued, task.SecureSession!.Session.Participants), cancellationToken).ConfigureAwait(false); // not null: a puppet task opens a session
        }

        // Refused. The coordinator cannot sign for real members, but it can name them and play them with keys of its own.
        AttackOutcome refused = GradePuppetSession(Name, task, prepared);
        string[] named = [.. new[] { victim.Site.Value, sites.Agents[1].Site.Value, sites.Agents[2].Site.Value }.Order(StringComparer.Ordinal)];
        SecureTrainingSession impersonated = arena.Secure(job, named, threshold: 3, victim.Site.Value);
        SiteReply second = await victim.HandleAsync(arena.Train(job, victim.Site, impersonated), cancellationToken).ConfigureAwait(false);
        if (second is not TrainingPrepared)
        {
            return refused with { Detail = $"{refused.Detail}; then with puppets under real members' names: {Describe(second)}{Reason(second)}" };
        }

        AttackOutcome played = await PuppetSessionAsync(Name, arena, job, victim, impersonated, i => puppetKeys.KeyOf($"puppet-{i}"), AnyValidLength.Instance, cancellationToken).ConfigureAwait(false);
        return played.Prevented
            ? refused with { Detail = $"{refused.Detail}; then with puppets playing real members {string.Join(" and ", named.Where(n => n != victim.Site.Value))} under the coordinator's keys, {played.Detail}" }
            : played;
    }

    /// <summary>
    /// Runs the victim's session with puppets of zero input in every other seat (puppet number 1, 2 signs with
    /// <c>puppetKey(number)</c>; the attacker's server and puppets accept what <c>verifier</c> accepts) and grades what it unmasks.
    /// </summary>
    private static async Task<AttackOutcome> PuppetSessionAsync(string name, Arena arena, JobDefinition job, SiteAgent victim, SecureTrainingSession secure, Func<int, ILedgerSigner> puppetKey, ISignatureVerifier verifier, CancellationToken cancellationToken)
    {
        string[] participants = [.. secure.Session.Participants];
        SessionTable table = new(job, secure.Session);
        table.Sites[secure.Participant] = victim;
        int puppet = 0;
        for (int i = 1; i <= participants.Length; i++)
        {
            if (i != secure.Participant)
            {
                table.Puppets[i] = new SecAggClient(secure.Session, new ParticipantIndex(i), SystemSecureRandom.Instance, new SiteSigner(puppetKey(++puppet)), verifier);
                table.Puppets[i].ProvideInput(new uint[secure.Session.VectorLength]); // zero: the sum is the victim's input
            }
        }

        using SecAggServer server = new(secure.Session, verifier);
        ServerStep end = await table.RunAsync(server, cancellationToken).ConfigureAwait(false);
        table.Dispose();
        if (end is not ServerStep.Completed { Result: var sum })
        {
            return new AttackOutcome(name, true, $"site {victim.Site} trained, then the session ended without a sum: {table.Describe(end)}; the victim sent only its fresh public keys");
        }

        return await GradeAsync(name, arena, job, victim, secure, sum.Sum, $"the secure \"sum\" of site {victim.Site} and two puppet sites of zero input", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Threshold too low (issue 12, attack 4): the coordinator picks t = 2 for 4 holders. It tells two of the sites that the
    /// victim survived (they reveal shares of its self-mask seed) and the other two that it dropped out (they reveal
    /// shares of its mask key): two shares each reach t, and the victim's masked input unmasks alone. The consistency
    /// check does not help: each group sees t signatures on the survivor list it was given.
    /// </summary>
    private static async Task<AttackOutcome> ThresholdAsync(Arena arena, CancellationToken cancellationToken)
    {
        const string Name = "threshold";
        JobDefinition job = arena.Job("threshold", Arena.SecureAggregation);
        List<string> attempts = [];

        // Malicious-server mode first (the protocol's own check refuses 2t ≤ holders there); then the semi-honest mode,
        // which has no consistency check and no such bound: the attacker takes whichever a site accepts.
        foreach (SecAggSecurityMode mode in new[] { SecAggSecurityMode.MaliciousServer, SecAggSecurityMode.SemiHonest })
        {
            using Victims sites = arena.Sites(job, Arena.StrictPolicy);
            string[] participants = [.. sites.Agents.Select(a => a.Site.Value)];
            SecureTrainingSession[] tasks = [.. participants.Select(p => arena.Secure(job, participants, threshold: 2, p, mode))];
            SecAggSessionOptions session = tasks[0].Session;
            List<string> refusals = [];
            for (int i = 0; i < participants.Length; i++)
            {
                SiteReply prepared = await sites.Agents[i].HandleAsync(arena.Train(job, sites.Agents[i].Site, tasks[i]), cancellationToken).ConfigureAwait(false);
                if (prepared is not TrainingPrepared)
                {
                    refusals.Add($"{participants[i]} {Describe(prepared)}{Reason(prepared)}");
                }
            }

            if (refusals.Count > 0)
            {
                attempts.Add(Invariant($"{mode} with t = {session.Threshold} for {session.HolderCount} holders: ") + Summarise(refusals));
                continue;
            }

            return await TwoViewsAsync(Name, arena, job, sites, tasks, cancellationToken).ConfigureAwait(false);
        }

        return new AttackOutcome(Name, true, "every site refused the session: " + string.Join("; then ", attempts));
    }

    /// <summary>Groups identical reasons: "a, b, c refused (rule r): reason".</summary>
    private static string Summarise(List<string> refusals) =>
        string.Join("; ", refusals
            .Select(r => (Site: r[..r.IndexOf(' ', StringComparison.Ordinal)], What: r[(r.IndexOf(' ', StringComparison.Ordinal) + 1)..]))
            .GroupBy(r => r.What, StringComparer.Ordinal)
            .Select(g => $"{string.Join(", ", g.Select(r => r.Site))} {g.Key}"));

    /// <summary>
    /// The attack proper, once every site prepared: two views of one session. View A: everyone survived; view B: the
    /// victim (participant 1) dropped before its masked input. Each group of two is shown only its own view.
    /// </summary>
    private static async Task<AttackOutcome> TwoViewsAsync(string name, Arena arena, JobDefinition job, Victims sites, SecureTrainingSession[] tasks, CancellationToken cancellationToken)
    {
        const int Victim = 1;
        int[] toldSurvived = [Victim, 4], toldDropped = [2, 3];
        SecAggSessionOptions session = tasks[0].Session;
        string[] participants = [.. session.Participants];
        SessionTable table = new(job, session);
        for (int i = 0; i < participants.Length; i++)
        {
            table.Sites[i + 1] = sites.Agents[i];
        }

        using SecAggServer survived = new(session, new RosterSignatureVerifier(sites.Roster, participants));
        using SecAggServer dropped = new(session, new RosterSignatureVerifier(sites.Roster, participants));
        ServerStep.Send step = survived.Start();
        dropped.Start();
        for (int stage = 0; stage < 3; stage++)
        {
            foreach (SecAggClientMessage reply in await table.DeliverAsync(step.Messages, cancellationToken).ConfigureAwait(false))
            {
                survived.TryAccept(reply, out _);
                if (reply is not MaskedInput || reply.Sender.Value != Victim)
                {
                    dropped.TryAccept(reply, out _);
                }
            }

            ServerStep next = survived.Advance();
            ServerStep other = dropped.Advance();
            if (next is not ServerStep.Send send || other is not ServerStep.Send otherSend)
            {
                return new AttackOutcome(name, true, $"the session stopped before the survivor lists were sent: {table.Describe(next is ServerStep.Send ? other : next)}");
            }

            step = send;
            if (stage == 2)
            {
                ServerStep endA = await FinishAsync(survived, send, toldSurvived, table, cancellationToken).ConfigureAwait(false);
                ServerStep endB = await FinishAsync(dropped, otherSend, toldDropped, table, cancellationToken).ConfigureAwait(false);
                table.Dispose();
                if (endA is not ServerStep.Completed { Result: var all } || endB is not ServerStep.Completed { Result: var rest })
                {
                    return new AttackOutcome(name, true, $"the two views did not both unmask: {table.Describe(endA)}; {table.Describe(endB)}");
                }

                uint[] difference = new uint[all.Sum.Length];
                for (int k = 0; k < difference.Length; k++)
                {
                    difference[k] = unchecked(all.Sum[k] - rest.Sum[k]);
                }

                string how = Invariant($"{session.SecurityMode} session with t = {session.Threshold} of {session.HolderCount} holders: sites {participants[toldSurvived[0] - 1]} and {participants[toldSurvived[1] - 1]} revealed the victim's self-mask seed, sites {participants[toldDropped[0] - 1]} and {participants[toldDropped[1] - 1]} its mask key; the sum of all four minus the sum of the other three");
                return await GradeAsync(name, arena, job, sites.Agents[Victim - 1], tasks[Victim - 1], difference, how, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException("Unreachable: the loop returns once the masked inputs are in.");
    }

    /// <summary>Runs the rest of one view (consistency check if any, then unmasking) with only <paramref name="group"/>.</summary>
    private static async Task<ServerStep> FinishAsync(SecAggServer server, ServerStep.Send consistency, int[] group, SessionTable table, CancellationToken cancellationToken)
    {
        ServerStep step = consistency;
        for (int stage = 0; stage < 2 && step is ServerStep.Send send; stage++) // consistency (malicious-server mode), unmasking
        {
            foreach (SecAggClientMessage reply in await table.DeliverAsync([.. send.Messages.Where(m => group.Contains(m.Recipient.Value))], cancellationToken).ConfigureAwait(false))
            {
                server.TryAccept(reply, out _);
            }

            step = server.Advance();
        }

        return step;
    }

    /// <summary>
    /// Hostile indexes (issue 12, attack 9): one participant (or the coordinator relaying for it) sends every secure
    /// aggregation message with sender index 0, then with an index past the last participant, hoping to fail the round
    /// for everyone. The coordinator's channel drops messages whose index is not the sender's own; the weakened
    /// configuration has no switch for that check (it protects the honest sites' round, not a site's data).
    /// </summary>
    private static async Task<AttackOutcome> HostileIndexAsync(Arena arena, CancellationToken cancellationToken)
    {
        const string Name = "hostile-index";
        JobDefinition job = arena.Job("hostile-index", Arena.SecureAggregation);
        using Victims sites = arena.Sites(job, Arena.StrictPolicy);
        GlobalModel model = new(arena.Spec(job), arena.Initial(job), new RoundNumber(0));
        SiteId hostile = sites.Agents[^1].Site;
        List<string> rounds = [];
        bool completed = true;
        foreach ((int round, int index) in new[] { (1, 0), (2, sites.Agents.Length + 1) })
        {
            HostileTransport transport = new(new InProcessSiteTransport(sites.Agents), hostile, index);
            IStrategy strategy = job.CreateStrategy();
            RoundEngine engine = new(transport, strategy, job.Engine with { Roster = sites.Roster }, TimeProvider.System) { JobSha256 = job.ContentSha256 };
            (_, _, RoundReport report) = await engine.RunRoundAsync(new RoundNumber(round), model, strategy.InitialState(model), new RandomSource(job.Seed), evaluate: false, cancellationToken).ConfigureAwait(false);
            bool honestAggregated = report.Aggregated && report.Contributors.Count == sites.Agents.Length - 1 && !report.Contributors.Contains(hostile);
            completed &= honestAggregated;
            rounds.Add(honestAggregated
                ? Invariant($"round {round} (index {index}): {transport.Rewritten} messages dropped, aggregated over the {report.Contributors.Count} honest sites")
                : Invariant($"round {round} (index {index}): {transport.Rewritten} messages sent, round {(report.Aggregated ? "aggregated" : "not aggregated")} with {report.Contributors.Count} contributors ({report.AggregationFailure ?? "no failure named"})"));
        }

        string caveat = arena.IsWeakened ? " (no weakened switch for this check: it is the coordinator's own, not a site protection, so the unprotected run reports it prevented)" : string.Empty;
        return new AttackOutcome(Name, completed, $"site {hostile} sent its secure-aggregation messages under a hostile sender index: {string.Join("; ", rounds)}{caveat}");
    }

    /// <summary>Decodes what the attacker unmasked as one site's update and compares it with the ground truth.</summary>
    private static async Task<AttackOutcome> GradeAsync(string name, Arena arena, JobDefinition job, SiteAgent victim, SecureTrainingSession secure, uint[] unmasked, string how, CancellationToken cancellationToken)
    {
        float[] decoded = new float[unmasked.Length];
        new FixedPointCodec(secure.Quantization).DecodeSum(unmasked, decoded);
        (SummedUpdates recovered, _) = SecureUpdateLayout.Decode(decoded, arena.Initial(job).Layout, 1, secure.ControlVariates);
        SiteUpdate truth = await arena.TruthAsync(job, victim.Site, cancellationToken).ConfigureAwait(false);
        double worst = 0, scale = 0;
        for (int k = 0; k < truth.WeightedDelta.Length; k++)
        {
            worst = Math.Max(worst, Math.Abs(recovered.WeightedSum.Values[k] - truth.WeightedDelta.Values[k]));
            scale = Math.Max(scale, Math.Abs(truth.WeightedDelta.Values[k]));
        }

        bool exact = worst <= 0.01 * scale;
        return new AttackOutcome(name, !exact, Invariant($"{how} gives site {victim.Site}'s weighted update ({truth.WeightedDelta.Length} values, weight {recovered.TotalWeight:G4}) with max error {worst:G3} against its largest coordinate {scale:G3}") + (exact ? ": the victim's update recovered" : ": nothing recovered to 1 %"));
    }

    private static string Reason(SiteReply reply) => reply switch
    {
        Refused r => $": {r.Reason}",
        _ => string.Empty,
    };

    /// <summary>The participants of one attacker-run session: real site agents and the coordinator's puppets, by index.</summary>
    private sealed class SessionTable(JobDefinition job, SecAggSessionOptions session) : IDisposable
    {
        private readonly List<string> _problems = [];

        public Dictionary<int, SiteAgent> Sites { get; } = [];

        public Dictionary<int, SecAggClient> Puppets { get; } = [];

        /// <summary>Runs a whole session through <paramref name="server"/>.</summary>
        public async Task<ServerStep> RunAsync(SecAggServer server, CancellationToken cancellationToken)
        {
            ServerStep step = server.Start();
            while (step is ServerStep.Send send)
            {
                foreach (SecAggClientMessage reply in await DeliverAsync(send.Messages, cancellationToken).ConfigureAwait(false))
                {
                    if (!server.TryAccept(reply, out SecAggRejection? rejection))
                    {
                        _problems.Add(rejection.ToString());
                    }
                }

                step = server.Advance();
            }

            return step;
        }

        /// <summary>Delivers each message to its recipient and collects the replies (a site that fails answers nothing).</summary>
        public async Task<List<SecAggClientMessage>> DeliverAsync(IReadOnlyList<SecAggServerMessage> messages, CancellationToken cancellationToken)
        {
            List<SecAggClientMessage> replies = [];
            foreach (SecAggServerMessage message in messages)
            {
                int to = message.Recipient.Value;
                if (Sites.TryGetValue(to, out SiteAgent? site))
                {
                    SiteReply reply = await site.HandleAsync(new SecAggTask(site.Site, new RoundNumber(checked((int)session.RoundNumber)), message) { JobSha256 = job.ContentSha256 }, cancellationToken).ConfigureAwait(false);
                    if (reply is SecAggReplied answered)
                    {
                        replies.Add(answered.Message);
                    }
                    else
                    {
                        _problems.Add($"site {site.Site}: {CoordinatorRedTeam.Describe(reply)}");
                    }
                }
                else if (Puppets.TryGetValue(to, out SecAggClient? puppet) && puppet.Handle(message) is ClientStep.Reply reply)
                {
                    replies.Add(reply.Message);
                }
            }

            return replies;
        }

        public string Describe(ServerStep step) => (step switch
        {
            ServerStep.Failed f => $"{f.Failure.Error} at {f.Failure.Stage}: {f.Failure.Detail}",
            _ => step.GetType().Name,
        }) + (_problems.Count > 0 ? $" ({string.Join("; ", _problems)})" : string.Empty);

        public void Dispose()
        {
            foreach (SecAggClient puppet in Puppets.Values)
            {
                puppet.Dispose();
            }

            Puppets.Clear();
        }
    }

    /// <summary>The coordinator's own puppets and server trust whatever it says: any signature of the right length.</summary>
    private sealed class AnyValidLength : ISignatureVerifier
    {
        public static readonly AnyValidLength Instance = new();

        public bool Verify(ParticipantIndex signer, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature) => signature.Length == EcdsaP256Signer.SignatureLength;
    }

    /// <summary>A transport that relays one site's secure-aggregation replies under another sender index.</summary>
    private sealed class HostileTransport(ISiteTransport inner, SiteId hostile, int index) : ISiteTransport
    {
        public int Rewritten { get; private set; }

        public IReadOnlyList<SiteId> Roster => inner.Roster;

        public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (SiteReply reply in inner.DispatchAsync(tasks, deadline, cancellationToken).ConfigureAwait(false))
            {
                if (reply is SecAggReplied answered && answered.Site == hostile)
                {
                    Rewritten++;
                    yield return answered with { Message = answered.Message with { Sender = new ParticipantIndex(index) } };
                }
                else
                {
                    yield return reply;
                }
            }
        }
    }
}
