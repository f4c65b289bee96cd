using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites.Local;
using Consortia.Privacy.Distributed;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>
/// Distributed DP (client level, under secure aggregation): after clipping, the site rotates and scales its update,
/// rounds it conditionally to integers and adds its own share of integer noise (discrete Gaussian by default, or
/// Skellam), so that the coordinator only ever unmasks a noisy sum (design reference §3.5). The adaptive-clipping bit
/// is noised the same way. The quantise stage then reduces the integers into the ring as they are.
/// </summary>
/// <remarks>
/// The site calibrates the noise from its own copy of the job (ε or z, δ, rounds) and the session it joins (its
/// participants and threshold t), not from numbers the coordinator sends, so a coordinator cannot talk it into less
/// noise; what it still takes from the task is the round's clip bound. The rounding and the
/// noise come from the site's randomness (<see cref="SiteRandomness"/>): the operating system's CSPRNG on a node, seeded per round in simulation.
/// </remarks>
internal sealed class NoiseStage : IUpdateStage
{
    private readonly DistributedCalibration _calibration;
    private readonly SiteRandomness _randomness;

    /// <summary>Creates the stage.</summary>
    /// <param name="calibration">The site's calibration of the job's distributed noise (shared with the budget guard, which books it).</param>
    /// <param name="randomness">The site's randomness: a fresh word source per round for the rounding and the noise.</param>
    public NoiseStage(DistributedCalibration calibration, SiteRandomness randomness)
    {
        _calibration = calibration;
        _randomness = randomness;
    }

    public UpdateStageKind Kind => UpdateStageKind.Noise;

    public void Apply(UpdateDraft draft)
    {
        if (!_calibration.IsDistributed || draft.Task.ClientDp is not { } dp)
        {
            return;
        }

        // Fail closed (For throws without a secure session): the job promises distributed noise, so an update must never leave unnoised and unmasked.
        DistributedDpParameters calibration = _calibration.For(draft.Task)!;
        SecureTrainingSession session = draft.Task.SecureSession!;
        ulong seed = RandomizedHadamard.SeedFor(session.Session.JobId, draft.Task.Round.Value);
        IRandomWordSource words = _randomness.Words("distributed-dp-noise", draft.Task.Round);
        long[] encoded;
        try
        {
            encoded = DistributedDp.EncodeSite(draft.Delta.Values, dp.ClipNorm, calibration.BitSiteVariance is null ? null : draft.UnclippedBit, calibration, seed, words);
        }
        finally
        {
            (words as IDisposable)?.Dispose();
        }

        draft.RingIntegers = DistributedUpdateLayout.Encode(encoded, calibration);
        Array.Clear(encoded);
        draft.Delta.Values.Clear(); // only the noised integers go on
        draft.UnclippedBit = null;
    }
}
