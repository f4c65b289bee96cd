using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Privacy.Distributed;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>
/// Distributed DP (client level, under secure aggregation): after clipping, the site rotates and scales its update,
/// rounds it conditionally to integers and adds its own share of Skellam noise, so that the coordinator only ever
/// unmasks a noisy sum (design reference §3.5; Agarwal, Kairouz, Liu 2021). The adaptive-clipping bit is noised the
/// same way. The quantise stage then reduces the integers into the ring as they are.
/// </summary>
/// <remarks>
/// The site calibrates the noise from its own copy of the job (ε or z, δ, rounds) and the session it joins (its
/// participants and threshold t), not from numbers the coordinator sends, so a coordinator cannot talk it into less
/// noise; what it still takes from the task is the round's clip bound. The rounding and the
/// noise come from the site's randomness (<see cref="SiteRandomness"/>): the operating system's CSPRNG on a node, seeded per round in simulation.
/// </remarks>
internal sealed class NoiseStage : IUpdateStage
{
    private readonly ClientDpSettings? _settings;
    private readonly SiteRandomness _randomness;
    private DistributedSkellamParameters? _calibration;
    private (int Parameters, int Participants, int Contributors, double SampleRate) _calibratedFor;

    /// <summary>Creates the stage.</summary>
    /// <param name="settings">The job's client-level DP settings (the stage acts only when they are distributed).</param>
    /// <param name="randomness">The site's randomness: a fresh word source per round for the rounding and the noise.</param>
    public NoiseStage(ClientDpSettings? settings, SiteRandomness randomness)
    {
        _settings = settings;
        _randomness = randomness;
    }

    public UpdateStageKind Kind => UpdateStageKind.Noise;

    public void Apply(UpdateDraft draft)
    {
        if (_settings is not { IsDistributed: true } settings || draft.Task.ClientDp is not { } dp)
        {
            return;
        }

        // Fail closed: the job promises distributed noise, so an update must never leave unnoised and unmasked.
        SecureTrainingSession session = draft.Task.SecureSession
            ?? throw new InvalidOperationException("The job's client-level DP is distributed, but the task has no secure aggregation session; the site will not send an un-noised update.");
        int participants = session.Session.Participants.Count;
        int contributors = settings.MinimumContributors(participants, session.Session.Threshold);
        // q = 1: sites are drawn from the public job seed, so no amplification by sampling is claimed (and no number
        // the coordinator sends enters the calibration).
        var key = (draft.Delta.Length, participants, contributors, 1.0);
        if (_calibration is null || _calibratedFor != key)
        {
            _calibration = DistributedSkellam.Calibrate(settings.Options, draft.Delta.Length, participants, contributors, 1.0, settings.TotalRounds);
            _calibratedFor = key;
        }

        ulong seed = RandomizedHadamard.SeedFor(session.Session.JobId, draft.Task.Round.Value);
        IRandomWordSource words = _randomness.Words("distributed-dp-noise", draft.Task.Round);
        long[] encoded;
        try
        {
            encoded = DistributedSkellam.EncodeSite(draft.Delta.Values, dp.ClipNorm, _calibration.BitSiteVariance is null ? null : draft.UnclippedBit, _calibration, seed, words);
        }
        finally
        {
            (words as IDisposable)?.Dispose();
        }

        draft.RingIntegers = DistributedUpdateLayout.Encode(encoded, _calibration);
        Array.Clear(encoded);
        draft.Delta.Values.Clear(); // only the noised integers go on
        draft.UnclippedBit = null;
    }
}
