using System.Numerics.Tensors;
using Consortia.Federation.Sites.Pipeline;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.DpSgd;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Federation.Sites.Local;

/// <summary>Local training at one site: plain SGD (with SCAFFOLD's correction) or DP-SGD, producing the round's unweighted update.</summary>
/// <remarks>Reuses its buffers between rounds: one task at a time (the agent guarantees it).</remarks>
internal sealed class SiteTrainer
{
    private readonly Dataset _train;
    private readonly ModelSpec _spec;
    private readonly SiteRandomness _randomness;
    private readonly LocalTrainer _trainer;
    private readonly DpCalibration _calibration;
    private readonly SitePrivacyAccount _privacy;
    private DpSgdTrainer? _dpTrainer;
    private ParameterVector? _controlVariate; // SCAFFOLD's cᵢ, kept at the site between rounds

    public SiteTrainer(ModelSpec spec, Dataset train, SiteRandomness randomness, int maxBatchSize, DpCalibration calibration, SitePrivacyAccount privacy)
    {
        _spec = spec;
        _train = train;
        _randomness = randomness;
        _trainer = new LocalTrainer(spec, maxBatchSize);
        _calibration = calibration;
        _privacy = privacy;
    }

    /// <summary>The site's personal model (<c>personalisation:</c>), or <see langword="null"/>; it shares this trainer's buffers.</summary>
    public SitePersonalisation? Personalisation { get; private set; }

    /// <summary>Simulation's poisoning drill: the multiplier a malicious site applies to its honest update (1 for an honest site).</summary>
    public float UpdateScale { get; init; } = 1f;

    /// <summary>Gives the site a personal model for the job.</summary>
    /// <param name="settings">The job's <c>personalisation:</c> section.</param>
    /// <param name="training">The job's local training.</param>
    public void Personalise(Jobs.PersonalisationSettings settings, LocalTrainingOptions training) =>
        Personalisation = new SitePersonalisation(settings, _spec, _trainer, _train, _randomness, training);

    /// <summary>The job's model (evaluation shares it).</summary>
    public IModel Model => _trainer.Model;

    /// <summary>SCAFFOLD's cᵢ after the latest round, or <see langword="null"/> before the first SCAFFOLD round.</summary>
    public ParameterVector? ControlVariate => _controlVariate;

    /// <summary>Sets cᵢ from saved state (a restarted site); <see langword="null"/> starts from zero at the next SCAFFOLD round.</summary>
    public void RestoreControlVariate(ReadOnlySpan<float> values, bool present)
    {
        _controlVariate = null;
        if (present)
        {
            _controlVariate = new ParameterVector(Model.Layout);
            values.CopyTo(_controlVariate.Values);
        }
    }

    /// <summary>Trains from the task's global parameters and returns local − global, not yet weighted.</summary>
    /// <param name="task">The training task.</param>
    /// <returns>The draft update.</returns>
    /// <exception cref="ArithmeticException">Local training diverged.</exception>
    public UpdateDraft Train(TrainTask task)
    {
        ParameterVector local = task.GlobalParameters.Clone();
        Personalisation?.BeforeTraining(local);
        RandomSource random = _randomness.Statistical("train", task.Round);
        float[]? correction = null;
        if (task.ControlVariate is { } serverControl)
        {
            // SCAFFOLD: correct every local gradient by c − cᵢ.
            _controlVariate ??= new ParameterVector(serverControl.Layout);
            correction = new float[serverControl.Length];
            TensorPrimitives.Subtract(serverControl.Values, _controlVariate.Values, correction);
        }

        LocalTrainingResult result = task.Dp is { } dp
            ? TrainPrivately(local, task, dp, random)
            : _trainer.Train(local.Values, _train, task.Training, random, task.GlobalParameters.Values, correction);
        if (!local.IsFinite())
        {
            throw new ArithmeticException("Local training diverged (non-finite parameters).");
        }

        Personalisation?.AfterTraining(task, local);
        Span<float> delta = local.Values;
        TensorPrimitives.Subtract(delta, task.GlobalParameters.Values, delta);
        Personalisation?.Withhold(local);
        if (UpdateScale != 1f)
        {
            TensorPrimitives.Multiply(delta, UpdateScale, delta); // a malicious simulated site (poisoning drill)
        }

        ParameterVector? controlDelta = null;
        if (correction is not null && task.ControlVariate is { } c && _controlVariate is { } ci)
        {
            // Option II of Karimireddy et al.: cᵢ⁺ = cᵢ − c + (x − yᵢ)/(K·η) = cᵢ − c − Δ/(K·η); send cᵢ⁺ − cᵢ.
            controlDelta = new ParameterVector(c.Layout);
            float scale = -1f / (result.Steps * task.Training.Optimizer.LearningRate);
            TensorPrimitives.Multiply(delta, scale, controlDelta.Values);
            TensorPrimitives.Subtract(controlDelta.Values, c.Values, controlDelta.Values);
            TensorPrimitives.Add(ci.Values, controlDelta.Values, ci.Values);
        }

        return new UpdateDraft(task, local, _train.Count, result.MeanLoss, result.Steps, result.ExamplesSeen, controlDelta);
    }

    private LocalTrainingResult TrainPrivately(ParameterVector local, TrainTask task, SiteDpSettings dp, RandomSource random)
    {
        (double q, _, double sigma) = _calibration.For(task, dp);
        _dpTrainer ??= new DpSgdTrainer(_spec);
        INoiseSource noise = _randomness.Noise(task.Round);
        LocalTrainingResult result;
        try
        {
            result = _dpTrainer.Train(local.Values, _train, task.Training, sigma, dp.Options.ClipNorm, dp.Options.Sampling, random, noise);
        }
        finally
        {
            (noise as IDisposable)?.Dispose();
        }

        _privacy.AddSampleLevel(q, sigma, result.Steps, dp.Options.Delta);
        return result;
    }
}
