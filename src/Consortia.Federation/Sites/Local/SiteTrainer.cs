using System.Numerics.Tensors;
using Consortia.Federation.Sites.Pipeline;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.DpSgd;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Federation.Sites.Local;

/// <summary>Local training at one site: plain SGD (with SCAFFOLD's correction) or DP-SGD, producing the round's unweighted update.</summary>
/// <remarks>
/// Holds no scratch between tasks: it rents a trainer (model buffers, gathered batch, gradient) from <see cref="TrainerPool"/>
/// for each task, so that an idle site costs little more than its data. One task at a time (the agent guarantees it).
/// </remarks>
internal sealed class SiteTrainer
{
    private readonly Dataset _train;
    private readonly ModelSpec _spec;
    private IModel? _lossModel; // the whole training set as one batch, for q-FFL's loss at the global model
    private readonly SiteRandomness _randomness;
    private readonly int _maxBatchSize;
    private readonly DpCalibration _calibration;
    private readonly SitePrivacyAccount _privacy;
    private ParameterVector? _controlVariate; // SCAFFOLD's cᵢ, kept at the site between rounds

    public SiteTrainer(ModelSpec spec, Dataset train, SiteRandomness randomness, int maxBatchSize, DpCalibration calibration, SitePrivacyAccount privacy)
    {
        _spec = spec;
        _train = train;
        _randomness = randomness;
        _maxBatchSize = maxBatchSize;
        Layout = spec.CreateLayout();
        _calibration = calibration;
        _privacy = privacy;
    }

    /// <summary>The layout of the job's model.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>Runs <paramref name="use"/> with an instance of the job's model (scratch for batches of the job's size), rented for the call.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="use">The work.</param>
    /// <returns>What <paramref name="use"/> returns.</returns>
    public T WithModel<T>(Func<IModel, T> use) => TrainerPool.WithPlain(_spec, _maxBatchSize, trainer => use(trainer.Model));

    /// <summary>The site's personal model (<c>personalisation:</c>), or <see langword="null"/>; it rents trainers from the same pool.</summary>
    public SitePersonalisation? Personalisation { get; private set; }

    /// <summary>Simulation's poisoning drill: the multiplier a malicious site applies to its honest update (1 for an honest site).</summary>
    public float UpdateScale { get; init; } = 1f;

    /// <summary>Gives the site a personal model for the job.</summary>
    /// <param name="settings">The job's <c>personalisation:</c> section.</param>
    /// <param name="training">The job's local training.</param>
    public void Personalise(Jobs.PersonalisationSettings settings, LocalTrainingOptions training) =>
        Personalisation = new SitePersonalisation(settings, _spec, _maxBatchSize, _train, _randomness, training);

    /// <summary>SCAFFOLD's cᵢ after the latest round, or <see langword="null"/> before the first SCAFFOLD round.</summary>
    public ParameterVector? ControlVariate => _controlVariate;

    /// <summary>Sets cᵢ from saved state (a restarted site); <see langword="null"/> starts from zero at the next SCAFFOLD round.</summary>
    public void RestoreControlVariate(ReadOnlySpan<float> values, bool present)
    {
        _controlVariate = null;
        if (present)
        {
            _controlVariate = new ParameterVector(Layout);
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

        // q-FFL needs the loss of the global model on the site's data before it moves.
        double? globalLoss = task.Training.FairnessQ is not null ? LossAt(task.GlobalParameters.Values) : null;
        LocalTrainingResult result = task.Dp is { } dp
            ? TrainPrivately(local, task, dp, random)
            : TrainerPool.WithPlain(_spec, _maxBatchSize, trainer => trainer.Train(local.Values, _train, task.Training, random, task.GlobalParameters.Values, correction));
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

        UpdateDraft draft = new(task, local, _train.Count, result.MeanLoss, result.Steps, result.ExamplesSeen, controlDelta);
        if (task.Training.FairnessQ is { } q && globalLoss is { } loss)
        {
            QFairWeighting(draft, q, loss, task.Training.Optimizer.LearningRate);
        }

        return draft;
    }

    /// <summary>
    /// q-FedAvg (Li et al. 2020, Algorithm 2) expressed as a weighted average, so that it works from sums and through
    /// secure aggregation: with Δw = L·(w − w̄) and L = 1/η, the server step w − ΣF<sup>q</sup>Δw / Σh, where
    /// h = q·F<sup>q−1</sup>‖Δw‖² + L·F<sup>q</sup>, equals the average of the deltas (w̄ − w) weighted by F<sup>q</sup>
    /// over the total weight Σh/L. The site therefore sends weight h/L with its delta pre-scaled by F<sup>q</sup>/(h/L):
    /// the weight stage multiplies it back, so the sum carries ΣF<sup>q</sup>(w̄ − w).
    /// </summary>
    internal static void QFairWeighting(UpdateDraft draft, float q, double loss, float learningRate)
    {
        double lipschitz = 1.0 / learningRate;
        double f = Math.Max(loss, 1e-10); // a zero loss would give a zero weight; the paper's losses are positive
        double fq = Math.Pow(f, q);
        double squaredNorm = TensorPrimitives.SumOfSquares<float>(draft.Delta.Values);
        double weight = (q * Math.Pow(f, q - 1) * lipschitz * squaredNorm) + fq;
        TensorPrimitives.Multiply(draft.Delta.Values, (float)(fq / weight), draft.Delta.Values);
        draft.Weight = weight;
    }

    private double LossAt(ReadOnlySpan<float> parameters)
    {
        _lossModel ??= _spec.CreateModel(Math.Max(1, _train.Count));
        float[] gradient = new float[_lossModel.Layout.Length];
        return _lossModel.LossAndGradient(parameters, new Batch(_train.Features, _train.Labels, _train.HasTimes ? _train.Times : default, _train.Count), gradient);
    }

    private LocalTrainingResult TrainPrivately(ParameterVector local, TrainTask task, SiteDpSettings dp, RandomSource random)
    {
        (double q, _, double sigma) = _calibration.For(task, dp);
        INoiseSource noise = _randomness.Noise(task.Round);
        LocalTrainingResult result;
        try
        {
            result = TrainerPool.WithPrivate(_spec, trainer => trainer.Train(local.Values, _train, task.Training, sigma, dp.Options.ClipNorm, dp.Options.Sampling, random, noise));
        }
        finally
        {
            (noise as IDisposable)?.Dispose();
        }

        _privacy.AddSampleLevel(q, sigma, result.Steps, dp.Options.Delta);
        return result;
    }
}
