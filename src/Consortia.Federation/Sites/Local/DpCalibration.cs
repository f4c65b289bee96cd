using Consortia.Privacy.Accounting;
using Consortia.Privacy.DpSgd;

namespace Consortia.Federation.Sites.Local;

/// <summary>DP-SGD's noise multiplier σ at one site for one job: the job's fixed σ, or one calibrated for the whole job.</summary>
/// <remarks>The budget guard and local training ask for the same round; the calibration is computed once and shared.</remarks>
internal sealed class DpCalibration
{
    private readonly int _trainingExamples;
    private (double SampleRate, int Steps, double Sigma)? _calibrated;

    /// <summary>Creates the calibration for a site with <paramref name="trainingExamples"/> local examples.</summary>
    /// <param name="trainingExamples">The number of local training examples.</param>
    public DpCalibration(int trainingExamples) => _trainingExamples = trainingExamples;

    /// <summary>The round's sampling rate q, steps and noise multiplier σ.</summary>
    /// <param name="task">The training task.</param>
    /// <param name="dp">Its DP-SGD settings.</param>
    /// <returns>q, steps and σ.</returns>
    /// <exception cref="InvalidOperationException">No σ reaches the job's target ε at this site's sampling rate.</exception>
    public (double SampleRate, int Steps, double Sigma) For(TrainTask task, SiteDpSettings dp)
    {
        double q = DpSgdTrainer.SampleRate(task.Training, _trainingExamples);
        int steps = task.Training.StepsFor(_trainingExamples);
        if (dp.Options.NoiseMultiplier is { } sigma)
        {
            return (q, steps, sigma);
        }

        if (_calibrated is { } known && known.SampleRate == q && known.Steps == steps)
        {
            return known;
        }

        // Calibrate once for the whole job: the smallest σ whose ε over every round meets the target.
        NoiseCalibrationOptions calibration = new()
        {
            TargetEpsilon = dp.Options.TargetEpsilon!.Value, // Validate() guarantees σ or a target
            Delta = dp.Options.Delta,
            SampleRate = q,
            Steps = (long)steps * dp.TotalRounds,
        };
        double calibrated = NoiseCalibrator.TryCalibrate(calibration, out NoiseCalibration? result)
            ? result.NoiseMultiplier
            : throw new InvalidOperationException($"No noise multiplier reaches ε = {dp.Options.TargetEpsilon} at this site's sampling rate.");
        _calibrated = (q, steps, calibrated);
        return _calibrated.Value;
    }
}
