using Consortia.Federation;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;
using Consortia.Network.Protos;
using Consortia.Privacy.DpSgd;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.SecureAggregation.Quantization;
using Google.Protobuf;

namespace Consortia.Network.Transport;

/// <summary>A header plus the vectors that follow it as chunks.</summary>
/// <typeparam name="THeader">The header message type.</typeparam>
internal sealed record WireItem<THeader>(THeader Header, IReadOnlyList<ReadOnlyMemory<byte>> Payload);

/// <summary>
/// Maps domain tasks and replies to their protobuf form and back, at the boundary. Everything read from the
/// wire is validated here; a malformed message becomes an <see cref="InvalidDataException"/> naming the field.
/// </summary>
internal static class WireCodec
{
    // ---- tasks ------------------------------------------------------------------------------------

    /// <summary>Encodes a task for the wire.</summary>
    public static WireItem<TaskHeader> Encode(SiteTask task, string itemId, string jobId)
    {
        TaskHeader header = new() { ItemId = itemId, JobId = jobId, Round = task.Round.Value, JobSha256 = task.JobSha256 };
        List<ReadOnlyMemory<byte>> payload = [];
        switch (task)
        {
            case TrainTask train:
                TrainTaskProto t = new()
                {
                    GlobalParameters = Add(payload, train.GlobalParameters),
                    Training = Encode(train.Training),
                    Participants = train.Participants,
                    Attempt = train.Attempt,
                };
                t.ReweightingCounts.AddRange(train.ReweightingCounts ?? []);
                if (train.ControlVariate is { } c)
                {
                    t.ControlVariate = Add(payload, c);
                }

                if (train.SecureSession is { } s)
                {
                    t.SecureSession = Encode(s);
                }

                if (train.Dp is { } dp)
                {
                    t.Dp = Encode(dp);
                }

                if (train.ClientDp is { } clientDp)
                {
                    t.ClientDp = new ClientDpSettings
                    {
                        JobId = clientDp.JobId,
                        ClipNorm = clientDp.ClipNorm,
                        ReportUnclippedBit = clientDp.ReportUnclippedBit,
                        NoiseMultiplier = clientDp.NoiseMultiplier,
                        SampleRate = clientDp.SampleRate,
                        Delta = clientDp.Delta,
                    };
                }

                header.Train = t;
                break;
            case EvaluateTask evaluate:
                header.Evaluate = new EvaluateTaskProto { Parameters = Add(payload, evaluate.Parameters), Contributors = evaluate.Contributors };
                break;
            case SecAggTask secagg:
                header.Secagg = Encode(secagg.Message);
                break;
            case FairnessAuditTask audit:
                header.FairnessAudit = FairnessWire.Encode(audit, payload);
                break;
            case ReweightingCountTask count:
                header.ReweightingCount = FairnessWire.Encode(count);
                break;
            default:
                throw new NotSupportedException($"No wire form for task {task.GetType().Name}.");
        }

        header.PayloadBytes = VectorPayload.Size(payload);
        return new WireItem<TaskHeader>(header, payload);
    }

    /// <summary>The vectors a task header announces, in payload order.</summary>
    public static IReadOnlyList<VectorRef> Vectors(TaskHeader header) => header.TaskCase switch
    {
        TaskHeader.TaskOneofCase.Train => header.Train.ControlVariate is { } c ? [Required(header.Train.GlobalParameters, "train.global_parameters"), c] : [Required(header.Train.GlobalParameters, "train.global_parameters")],
        TaskHeader.TaskOneofCase.Evaluate => [Required(header.Evaluate.Parameters, "evaluate.parameters")],
        TaskHeader.TaskOneofCase.FairnessAudit => [Required(header.FairnessAudit.Parameters, "fairness_audit.parameters")],
        _ => [],
    };

    /// <summary>Decodes a task addressed to <paramref name="site"/>.</summary>
    public static SiteTask Decode(TaskHeader header, PayloadAssembler payload, SiteId site)
    {
        RoundNumber round = Round(header.Round);
        // Empty passes here and is refused by the site's agent (rule task-job), which alone knows the job it accepted.
        string jobSha256 = header.JobSha256.Length == 0 || Sha256Hex.IsValid(header.JobSha256)
            ? header.JobSha256
            : throw new InvalidDataException($"item {header.ItemId}: job_sha256: expected 64 lowercase hexadecimal digits.");
        SiteTask task = header.TaskCase switch
        {
            TaskHeader.TaskOneofCase.Train => new TrainTask(
                site, round, payload.Parameters(0), Decode(header.Train.Training),
                header.Train.ControlVariate is null ? null : payload.Parameters(1),
                header.Train.SecureSession is { } s ? Decode(s) : null,
                header.Train.Dp is { } dp ? Decode(dp) : null)
            {
                Participants = header.Train.Participants,
                ClientDp = header.Train.ClientDp is { } clientDp ? Decode(clientDp) : null,
                Attempt = header.Train.Attempt >= 0 ? header.Train.Attempt : throw new InvalidDataException($"train.attempt: expected ≥ 0, got {header.Train.Attempt}."),
                ReweightingCounts = FairnessWire.ReweightingCounts(header.Train.ReweightingCounts),
            },
            TaskHeader.TaskOneofCase.Evaluate => new EvaluateTask(site, round, payload.Parameters(0)) { Contributors = header.Evaluate.Contributors },
            TaskHeader.TaskOneofCase.Secagg => new SecAggTask(site, round, Decode(header.Secagg)),
            TaskHeader.TaskOneofCase.FairnessAudit => FairnessWire.Decode(header.FairnessAudit, site, round, payload.Parameters(0)),
            TaskHeader.TaskOneofCase.ReweightingCount => FairnessWire.Decode(header.ReweightingCount, site, round),
            _ => throw new InvalidDataException($"item {header.ItemId}: the task header names no task."),
        };
        return task with { JobSha256 = jobSha256 };
    }

    // ---- replies ----------------------------------------------------------------------------------

    /// <summary>Encodes a reply for the wire.</summary>
    public static WireItem<ReplyHeader> Encode(SiteReply reply, string itemId)
    {
        ReplyHeader header = new() { ItemId = itemId, Round = reply.Round.Value };
        List<ReadOnlyMemory<byte>> payload = [];
        switch (reply)
        {
            case TrainingCompleted completed:
                TrainingCompletedProto t = new()
                {
                    WeightedDelta = Add(payload, completed.Update.WeightedDelta),
                    Weight = completed.Update.Weight,
                    TrainLoss = completed.Update.TrainLoss,
                    Steps = completed.Update.Steps,
                };
                if (completed.Update.ControlVariateDelta is { } c)
                {
                    t.ControlVariateDelta = Add(payload, c);
                }

                if (completed.Update.UnclippedBit is { } bit)
                {
                    t.UnclippedBit = bit;
                }

                t.Privacy = Encode(completed.Privacy);

                header.TrainingCompleted = t;
                break;
            case EvaluationCompleted evaluation:
                EvaluationCompletedProto e = new() { Examples = evaluation.Report.Examples };
                e.Metrics.AddRange(evaluation.Report.Metrics.Select(m => new MetricProto { Kind = m.Kind.ReportName(), Value = m.Value }));
                header.EvaluationCompleted = e;
                break;
            case Refused refused:
                header.Refused = new RefusedProto { Rule = refused.Rule, Reason = refused.Reason };
                break;
            case Failed failed:
                header.Failed = new FailedProto { Code = failed.Code, Message = failed.Message };
                break;
            case TrainingPrepared prepared:
                header.TrainingPrepared = new TrainingPreparedProto { Steps = prepared.Steps, Privacy = Encode(prepared.Privacy) };
                break;
            case SecAggReplied secagg:
                header.Secagg = Encode(secagg.Message, payload);
                break;
            case FairnessCountsReleased counts:
                header.FairnessCounts = FairnessWire.Encode(counts, payload);
                break;
            default:
                throw new NotSupportedException($"No wire form for reply {reply.GetType().Name}.");
        }

        header.PayloadBytes = VectorPayload.Size(payload);
        return new WireItem<ReplyHeader>(header, payload);
    }

    /// <summary>The vectors a reply header announces, in payload order.</summary>
    public static IReadOnlyList<VectorRef> Vectors(ReplyHeader header) => header.ReplyCase switch
    {
        ReplyHeader.ReplyOneofCase.TrainingCompleted => header.TrainingCompleted.ControlVariateDelta is { } c
            ? [Required(header.TrainingCompleted.WeightedDelta, "training_completed.weighted_delta"), c]
            : [Required(header.TrainingCompleted.WeightedDelta, "training_completed.weighted_delta")],
        ReplyHeader.ReplyOneofCase.Secagg when header.Secagg.MessageCase == SecAggClientProto.MessageOneofCase.MaskedInput =>
            [Required(header.Secagg.MaskedInput.Vector, "masked_input.vector")],
        ReplyHeader.ReplyOneofCase.FairnessCounts => [Required(header.FairnessCounts.Counts, "fairness_counts.counts")],
        _ => [],
    };

    /// <summary>Decodes a reply from the authenticated <paramref name="site"/>.</summary>
    public static SiteReply Decode(ReplyHeader header, PayloadAssembler payload, SiteId site)
    {
        RoundNumber round = Round(header.Round);
        return header.ReplyCase switch
        {
            ReplyHeader.ReplyOneofCase.TrainingCompleted => new TrainingCompleted(site, round, new SiteUpdate(
                site, payload.Parameters(0), header.TrainingCompleted.Weight, header.TrainingCompleted.TrainLoss, header.TrainingCompleted.Steps,
                header.TrainingCompleted.ControlVariateDelta is null ? null : payload.Parameters(1))
            {
                UnclippedBit = header.TrainingCompleted.HasUnclippedBit ? Finite(header.TrainingCompleted.UnclippedBit, "training_completed.unclipped_bit") : null,
            })
            {
                Privacy = Decode(header.TrainingCompleted.Privacy, site, "training_completed.privacy"),
            },
            ReplyHeader.ReplyOneofCase.EvaluationCompleted => new EvaluationCompleted(site, round, new EvaluationReport(
                site, header.EvaluationCompleted.Examples, [.. header.EvaluationCompleted.Metrics.Select(Decode)])),
            ReplyHeader.ReplyOneofCase.Refused => new Refused(site, round, Text(header.Refused.Rule, "refused.rule"), Text(header.Refused.Reason, "refused.reason")),
            ReplyHeader.ReplyOneofCase.Failed => new Failed(site, round, Text(header.Failed.Code, "failed.code"), Text(header.Failed.Message, "failed.message")),
            ReplyHeader.ReplyOneofCase.TrainingPrepared => new TrainingPrepared(site, round, header.TrainingPrepared.Steps)
            {
                Privacy = Decode(header.TrainingPrepared.Privacy, site, "training_prepared.privacy"),
            },
            ReplyHeader.ReplyOneofCase.Secagg => new SecAggReplied(site, round, Decode(header.Secagg, payload)),
            ReplyHeader.ReplyOneofCase.FairnessCounts => new FairnessCountsReleased(site, round, [.. payload.RingElements(0).Select(c => (long)c)]),
            _ => throw new InvalidDataException($"item {header.ItemId}: the reply header names no reply."),
        };
    }

    // ---- privacy accounting -----------------------------------------------------------------------------

    private static SitePrivacyProto? Encode(SitePrivacyReport? report)
    {
        if (report is null)
        {
            return null;
        }

        SitePrivacyProto wire = new()
        {
            Site = report.Site.Value,
            Epsilon = report.Epsilon,
            RoundEpsilon = report.RoundEpsilon,
            Delta = report.Delta,
            NoiseMultiplier = report.NoiseMultiplier,
            SampleRate = report.SampleRate,
            Steps = report.Steps,
            Mechanism = report.Mechanism,
        };
        if (report.LifetimeEpsilon is { } spent)
        {
            wire.LifetimeEpsilon = spent;
        }

        if (report.LifetimeBudget is { } budget)
        {
            wire.LifetimeBudget = budget;
        }

        return wire;
    }

    /// <summary>
    /// Reads a site's privacy report. One that is not <paramref name="site"/>'s own or holds impossible values fails the
    /// whole reply as malformed (logged by the gateway with this message, the item then missed) rather than being dropped
    /// alone: an update accepted without its accounting would show the site as spending nothing, and a node that misstates
    /// its own accounting — or names another site in it — is broken or hostile, so its update is not trusted either.
    /// </summary>
    private static SitePrivacyReport? Decode(SitePrivacyProto? wire, SiteId site, string field)
    {
        if (wire is null)
        {
            return null;
        }

        SitePrivacyReport report = new(
            new SiteId(Text(wire.Site, $"{field}.site")), wire.Epsilon, wire.Delta, wire.NoiseMultiplier, wire.SampleRate, wire.Steps,
            wire.HasLifetimeEpsilon ? wire.LifetimeEpsilon : null, wire.HasLifetimeBudget ? wire.LifetimeBudget : null)
        {
            Mechanism = wire.Mechanism,
            RoundEpsilon = wire.RoundEpsilon,
        };
        return report.ProblemFor(site) is { } problem ? throw new InvalidDataException($"{field}.{problem}.") : report;
    }

    // ---- training configuration -------------------------------------------------------------------

    private static LocalTraining Encode(LocalTrainingOptions o)
    {
        LocalTraining wire = new()
        {
            BatchSize = o.BatchSize,
            LocalSteps = o.LocalSteps ?? 0,
            LocalEpochs = o.LocalEpochs,
            ProximalMu = o.ProximalMu,
            Optimizer = new Optimizer
            {
                Kind = o.Optimizer.Kind == OptimizerKind.Adam ? "adam" : "sgd",
                LearningRate = o.Optimizer.LearningRate,
                Momentum = o.Optimizer.Momentum,
                Beta1 = o.Optimizer.Beta1,
                Beta2 = o.Optimizer.Beta2,
                Epsilon = o.Optimizer.Epsilon,
            },
        };
        if (o.FairnessQ is { } q)
        {
            wire.FairnessQ = q;
        }

        return wire;
    }

    private static LocalTrainingOptions Decode(LocalTraining? t)
    {
        t = Required(t, "train.training");
        Optimizer o = Required(t.Optimizer, "train.training.optimizer");
        LocalTrainingOptions options = new()
        {
            BatchSize = t.BatchSize,
            LocalSteps = t.LocalSteps > 0 ? t.LocalSteps : null,
            LocalEpochs = t.LocalEpochs,
            ProximalMu = t.ProximalMu,
            FairnessQ = t.HasFairnessQ ? t.FairnessQ : null, // range checked by Validate below (NaN included)
            Optimizer = new OptimizerOptions
            {
                Kind = o.Kind switch
                {
                    "sgd" => OptimizerKind.Sgd,
                    "adam" => OptimizerKind.Adam,
                    _ => throw new InvalidDataException($"train.training.optimizer.kind: expected sgd or adam, got '{o.Kind}'."),
                },
                LearningRate = o.LearningRate,
                Momentum = o.Momentum,
                Beta1 = o.Beta1,
                Beta2 = o.Beta2,
                Epsilon = o.Epsilon,
            },
        };
        return Validated(options.Validate, options, "train.training");
    }

    private static ClientDpRound Decode(ClientDpSettings d)
    {
        if (!(d.ClipNorm > 0) || !double.IsFinite(d.ClipNorm) || !(d.NoiseMultiplier >= 0) || !double.IsFinite(d.NoiseMultiplier)
            || !(d.SampleRate > 0 && d.SampleRate <= 1) || !(d.Delta > 0 && d.Delta < 1))
        {
            throw new InvalidDataException("train.client_dp: expected clip_norm > 0, noise_multiplier ≥ 0, sample_rate in (0, 1] and delta in (0, 1).");
        }

        return new ClientDpRound(Text(d.JobId, "train.client_dp.job_id"), d.ClipNorm, d.ReportUnclippedBit, d.NoiseMultiplier, d.SampleRate, d.Delta);
    }

    private static double Finite(double value, string field) => double.IsFinite(value)
        ? value
        : throw new InvalidDataException($"{field}: expected a finite number, got {value}.");

    private static DpSettings Encode(SiteDpSettings dp)
    {
        DpSettings wire = new()
        {
            ClipNorm = dp.Options.ClipNorm,
            Delta = dp.Options.Delta,
            Sampling = dp.Options.Sampling == BatchSampling.Poisson ? "poisson" : "fixed-size",
            JobId = dp.JobId,
            TotalRounds = dp.TotalRounds,
        };
        if (dp.Options.NoiseMultiplier is { } z)
        {
            wire.NoiseMultiplier = z;
        }

        if (dp.Options.TargetEpsilon is { } e)
        {
            wire.TargetEpsilon = e;
        }

        return wire;
    }

    private static SiteDpSettings Decode(DpSettings dp)
    {
        DpSgdOptions options = new()
        {
            ClipNorm = dp.ClipNorm,
            NoiseMultiplier = dp.HasNoiseMultiplier ? dp.NoiseMultiplier : null,
            TargetEpsilon = dp.HasTargetEpsilon ? dp.TargetEpsilon : null,
            Delta = dp.Delta,
            Sampling = dp.Sampling switch
            {
                "poisson" => BatchSampling.Poisson,
                "fixed-size" => BatchSampling.FixedSize,
                _ => throw new InvalidDataException($"train.dp.sampling: expected poisson or fixed-size, got '{dp.Sampling}'."),
            },
        };
        Validated(options.Validate, options, "train.dp");
        if (dp.TotalRounds < 1)
        {
            throw new InvalidDataException($"train.dp.total_rounds: expected ≥ 1, got {dp.TotalRounds}.");
        }

        return new SiteDpSettings(options, Text(dp.JobId, "train.dp.job_id"), dp.TotalRounds);
    }

    private static SecureSession Encode(SecureTrainingSession s)
    {
        SecureSession wire = EncodeSession(s.Session, s.Participant);
        wire.ClipRange = s.Quantization.ClipRange;
        wire.MaxSummands = s.Quantization.MaxSummands;
        wire.RingBits = s.Quantization.RingBits;
        wire.ControlVariates = s.ControlVariates;
        wire.UnclippedBit = s.UnclippedBit;
        return wire;
    }

    /// <summary>The session options and the participant index of a secure session message.</summary>
    internal static SecureSession EncodeSession(SecAggSessionOptions session, int participant)
    {
        SecureSession wire = new()
        {
            JobId = session.JobId,
            RoundNumber = session.RoundNumber,
            VectorLength = session.VectorLength,
            Threshold = session.Threshold,
            Neighbours = session.Neighbours ?? 0,
            SecurityMode = session.SecurityMode == SecAggSecurityMode.MaliciousServer ? "malicious-server" : "semi-honest",
            MinimumAggregateSize = session.MinimumAggregateSize,
            ApplicationContext = ByteString.CopyFrom(session.ApplicationContext.Span),
            Participant = participant,
        };
        wire.Participants.AddRange(session.Participants);
        return wire;
    }

    private static SecureTrainingSession Decode(SecureSession s)
    {
        SecAggSessionOptions session = DecodeSession(s, "train.secure_session");
        FixedPointOptions quantization = new() { ClipRange = s.ClipRange, MaxSummands = s.MaxSummands, RingBits = s.RingBits };
        Validated(quantization.Validate, quantization, "train.secure_session");
        if (s.Participant < 1 || s.Participant > session.ParticipantCount)
        {
            throw new InvalidDataException($"train.secure_session.participant: expected 1..{session.ParticipantCount}, got {s.Participant}.");
        }

        return new SecureTrainingSession(session, quantization, s.Participant, s.ControlVariates) { UnclippedBit = s.UnclippedBit };
    }

    /// <summary>The session options of a secure session message (not its quantisation), validated; errors name <paramref name="field"/>.</summary>
    internal static SecAggSessionOptions DecodeSession(SecureSession s, string field)
    {
        SecAggSessionOptions session = new()
        {
            JobId = s.JobId,
            RoundNumber = s.RoundNumber,
            Participants = [.. s.Participants],
            VectorLength = s.VectorLength,
            Threshold = s.Threshold,
            Neighbours = s.Neighbours > 0 ? s.Neighbours : null,
            SecurityMode = s.SecurityMode switch
            {
                "semi-honest" => SecAggSecurityMode.SemiHonest,
                "malicious-server" => SecAggSecurityMode.MaliciousServer,
                _ => throw new InvalidDataException($"{field}.security_mode: expected semi-honest or malicious-server, got '{s.SecurityMode}'."),
            },
            MinimumAggregateSize = s.MinimumAggregateSize,
            ApplicationContext = s.ApplicationContext.ToByteArray(),
        };
        return Validated(session.Validate, session, field);
    }

    // ---- secure aggregation messages ------------------------------------------------------------------

    private static SecAggServerProto Encode(SecAggServerMessage message)
    {
        SecAggServerProto wire = new() { Session = ByteString.CopyFrom(message.Session.ToArray()), Recipient = message.Recipient.Value };
        switch (message)
        {
            case AdvertiseKeysRequest:
                wire.AdvertiseKeys = new AdvertiseKeysRequestProto();
                break;
            case KeyRoster roster:
                KeyRosterProto r = new();
                r.Keys.AddRange(roster.Keys.Select(k =>
                {
                    AdvertisedKeysProto keys = new() { Participant = k.Participant.Value, CipherPublicKey = Bytes(k.CipherPublicKey), MaskPublicKey = Bytes(k.MaskPublicKey) };
                    if (k.Signature is { } signature)
                    {
                        keys.Signature = Bytes(signature);
                    }

                    return keys;
                }));
                wire.KeyRoster = r;
                break;
            case ShareDelivery delivery:
                ShareDeliveryProto d = new();
                d.Shares.AddRange(delivery.Shares.Select(Encode));
                wire.ShareDelivery = d;
                break;
            case ConsistencyRequest consistency:
                ConsistencyRequestProto c = new();
                c.Survivors.AddRange(consistency.Survivors.Select(p => p.Value));
                wire.ConsistencyRequest = c;
                break;
            case UnmaskingRequest unmasking:
                UnmaskingRequestProto u = new();
                u.Survivors.AddRange(unmasking.Survivors.Select(p => p.Value));
                u.Dropped.AddRange(unmasking.Dropped.Select(p => p.Value));
                u.Attestations.AddRange(unmasking.Attestations.Select(a => new ConsistencyAttestationProto { Signer = a.Signer.Value, Signature = Bytes(a.Signature) }));
                wire.UnmaskingRequest = u;
                break;
            default:
                throw new NotSupportedException($"No wire form for {message.GetType().Name}.");
        }

        return wire;
    }

    private static SecAggServerMessage Decode(SecAggServerProto wire)
    {
        SessionId session = Session(wire.Session);
        ParticipantIndex recipient = new(wire.Recipient);
        return wire.MessageCase switch
        {
            SecAggServerProto.MessageOneofCase.AdvertiseKeys => new AdvertiseKeysRequest(session, recipient),
            SecAggServerProto.MessageOneofCase.KeyRoster => new KeyRoster(session, recipient, [.. wire.KeyRoster.Keys.Select(k =>
                new AdvertisedKeys(new ParticipantIndex(k.Participant), k.CipherPublicKey.ToByteArray(), k.MaskPublicKey.ToByteArray(), k.HasSignature ? k.Signature.ToByteArray() : null))]),
            SecAggServerProto.MessageOneofCase.ShareDelivery => new ShareDelivery(session, recipient, [.. wire.ShareDelivery.Shares.Select(Decode)]),
            SecAggServerProto.MessageOneofCase.ConsistencyRequest => new ConsistencyRequest(session, recipient, [.. wire.ConsistencyRequest.Survivors.Select(p => new ParticipantIndex(p))]),
            SecAggServerProto.MessageOneofCase.UnmaskingRequest => new UnmaskingRequest(
                session, recipient,
                [.. wire.UnmaskingRequest.Survivors.Select(p => new ParticipantIndex(p))],
                [.. wire.UnmaskingRequest.Dropped.Select(p => new ParticipantIndex(p))],
                [.. wire.UnmaskingRequest.Attestations.Select(a => new ConsistencyAttestation(new ParticipantIndex(a.Signer), a.Signature.ToByteArray()))]),
            _ => throw new InvalidDataException("secagg: the server message names no message."),
        };
    }

    private static SecAggClientProto Encode(SecAggClientMessage message, List<ReadOnlyMemory<byte>> payload)
    {
        SecAggClientProto wire = new() { Session = ByteString.CopyFrom(message.Session.ToArray()), Sender = message.Sender.Value };
        switch (message)
        {
            case KeyAdvertisement advertisement:
                KeyAdvertisementProto a = new() { CipherPublicKey = Bytes(advertisement.CipherPublicKey), MaskPublicKey = Bytes(advertisement.MaskPublicKey) };
                if (advertisement.Signature is { } signature)
                {
                    a.Signature = Bytes(signature);
                }

                wire.KeyAdvertisement = a;
                break;
            case EncryptedShares shares:
                EncryptedSharesProto s = new();
                s.Shares.AddRange(shares.Shares.Select(Encode));
                wire.EncryptedShares = s;
                break;
            case MaskedInput masked:
                payload.Add(VectorPayload.Bytes(masked.Vector));
                wire.MaskedInput = new MaskedInputProto { Vector = VectorPayload.Describe(masked.Vector) };
                break;
            case ConsistencySignature consistency:
                wire.ConsistencySignature = new ConsistencySignatureProto { Signature = Bytes(consistency.Signature) };
                break;
            case UnmaskingShares unmasking:
                UnmaskingSharesProto u = new();
                u.Shares.AddRange(unmasking.Shares.Select(r => new RevealedShareProto
                {
                    Owner = r.Owner.Value,
                    Kind = r.Kind == SecretKind.SelfMaskSeed ? "self-mask-seed" : "mask-private-key",
                    Share = Bytes(r.Share),
                }));
                wire.UnmaskingShares = u;
                break;
            default:
                throw new NotSupportedException($"No wire form for {message.GetType().Name}.");
        }

        return wire;
    }

    private static SecAggClientMessage Decode(SecAggClientProto wire, PayloadAssembler payload)
    {
        SessionId session = Session(wire.Session);
        ParticipantIndex sender = new(wire.Sender);
        return wire.MessageCase switch
        {
            SecAggClientProto.MessageOneofCase.KeyAdvertisement => new KeyAdvertisement(
                session, sender, wire.KeyAdvertisement.CipherPublicKey.ToByteArray(), wire.KeyAdvertisement.MaskPublicKey.ToByteArray(),
                wire.KeyAdvertisement.HasSignature ? wire.KeyAdvertisement.Signature.ToByteArray() : null),
            SecAggClientProto.MessageOneofCase.EncryptedShares => new EncryptedShares(session, sender, [.. wire.EncryptedShares.Shares.Select(Decode)]),
            SecAggClientProto.MessageOneofCase.MaskedInput => new MaskedInput(session, sender, payload.RingElements(0)),
            SecAggClientProto.MessageOneofCase.ConsistencySignature => new ConsistencySignature(session, sender, wire.ConsistencySignature.Signature.ToByteArray()),
            SecAggClientProto.MessageOneofCase.UnmaskingShares => new UnmaskingShares(session, sender, [.. wire.UnmaskingShares.Shares.Select(r => new RevealedShare(
                new ParticipantIndex(r.Owner),
                r.Kind switch
                {
                    "self-mask-seed" => SecretKind.SelfMaskSeed,
                    "mask-private-key" => SecretKind.MaskPrivateKey,
                    _ => throw new InvalidDataException($"secagg.unmasking_shares.kind: expected self-mask-seed or mask-private-key, got '{r.Kind}'."),
                },
                r.Share.ToByteArray()))]),
            _ => throw new InvalidDataException("secagg: the client message names no message."),
        };
    }

    private static EncryptedShareProto Encode(EncryptedShare share) =>
        new() { Sender = share.Sender.Value, Recipient = share.Recipient.Value, Ciphertext = Bytes(share.Ciphertext) };

    private static EncryptedShare Decode(EncryptedShareProto share) =>
        new(new ParticipantIndex(share.Sender), new ParticipantIndex(share.Recipient), share.Ciphertext.ToByteArray());

    // ---- helpers --------------------------------------------------------------------------------------

    private static VectorRef Add(List<ReadOnlyMemory<byte>> payload, ParameterVector vector)
    {
        payload.Add(VectorPayload.Bytes(vector));
        return VectorPayload.Describe(vector);
    }

    private static MetricValue Decode(MetricProto metric) =>
        MetricKindExtensions.TryParseReportName(metric.Kind, out MetricKind kind)
            ? new MetricValue(kind, metric.Value)
            : throw new InvalidDataException($"evaluation.metrics: unknown metric '{metric.Kind}'.");

    private static ByteString Bytes(ReadOnlyMemory<byte> bytes) => ByteString.CopyFrom(bytes.Span);

    private static SessionId Session(ByteString bytes) => bytes.Length == SessionId.Length
        ? SessionId.FromBytes(bytes.Span)
        : throw new InvalidDataException($"secagg.session: expected {SessionId.Length} bytes, got {bytes.Length}.");

    private static RoundNumber Round(long round) => round is >= 0 and <= int.MaxValue
        ? new RoundNumber((int)round)
        : throw new InvalidDataException($"round: expected 0..{int.MaxValue}, got {round}.");

    internal static string Text(string value, string field) => string.IsNullOrWhiteSpace(value)
        ? throw new InvalidDataException($"{field}: expected a non-empty text.")
        : value.Length > 4096 ? throw new InvalidDataException($"{field}: longer than 4096 characters.") : value;

    private static T Required<T>(T? value, string field)
        where T : class => value ?? throw new InvalidDataException($"{field}: missing.");

    private static T Validated<T>(Action validate, T value, string field)
    {
        try
        {
            validate();
            return value;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{field}: {e.Message}", e);
        }
    }
}
