using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Privacy.Distributed;

namespace Consortia.Federation.Sites.Local;

/// <summary>
/// A site's calibration of its distributed DP noise for one job: computed from the site's own copy of the job (ε or z,
/// δ, rounds, mechanism) and the secure session it joins (participants, threshold t), never from numbers the
/// coordinator sends. The budget guard (which books the round's ε) and the noise stage (which adds the noise) share it,
/// so the site charges exactly the mechanism it runs.
/// </summary>
internal sealed class DistributedCalibration
{
    private readonly ClientDpSettings? _settings;
    private DistributedDpParameters? _calibration;
    private (int Parameters, int Participants, int Contributors) _calibratedFor;

    /// <summary>Creates the calibration.</summary>
    /// <param name="settings">The job's client-level DP settings, or <see langword="null"/> without client-level DP.</param>
    public DistributedCalibration(ClientDpSettings? settings) => _settings = settings;

    /// <summary>Whether the job's client-level noise is added by the sites.</summary>
    public bool IsDistributed => _settings is { IsDistributed: true };

    /// <summary>The round's calibration, or <see langword="null"/> when the task's noise is not the sites' to add.</summary>
    /// <param name="task">The training task.</param>
    /// <returns>The mechanism's parameters (q = 1: sites are drawn from the public job seed, so no amplification is claimed).</returns>
    /// <exception cref="InvalidOperationException">
    /// The job promises distributed noise but the task has no secure session (the site will not send an un-noised update),
    /// or no calibration exists (<see cref="DistributedDp.Calibrate"/>).
    /// </exception>
    public DistributedDpParameters? For(TrainTask task)
    {
        if (_settings is not { IsDistributed: true } settings || task.ClientDp is null)
        {
            return null;
        }

        SecureTrainingSession session = task.SecureSession
            ?? throw new InvalidOperationException("The job's client-level DP is distributed, but the task has no secure aggregation session; the site will not send an un-noised update.");
        int participants = session.Session.Participants.Count;
        int contributors = settings.MinimumContributors(participants, session.Session.Threshold);
        var key = (task.GlobalParameters.Length, participants, contributors);
        if (_calibration is null || _calibratedFor != key)
        {
            _calibration = DistributedDp.Calibrate(settings.Options, task.GlobalParameters.Length, participants, contributors, 1.0, settings.TotalRounds);
            _calibratedFor = key;
        }

        return _calibration;
    }
}
