using Consortia.Federation.Jobs;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;

namespace Consortia.Federation.Sites.Local;

/// <summary>
/// A site's personal model for a job (<c>personalisation:</c>): Ditto's personal model, or the FedPer head plus local
/// fine-tuning. It lives in this object only: nothing here is ever put in an update or a reply; evaluation releases
/// only its aggregate test metrics.
/// </summary>
/// <remarks>
/// Rents a <see cref="LocalTrainer"/> from the site's <see cref="TrainerPool"/> for each training, as the site's own
/// training does, so an idle site holds only its personal vector. The personal state
/// is kept in memory; a restarted site starts its personal model again from the next global model.
/// </remarks>
internal sealed class SitePersonalisation
{
    private readonly PersonalisationSettings _settings;
    private readonly ModelSpec _spec;
    private readonly int _maxBatchSize;
    private readonly Dataset _train;
    private readonly SiteRandomness _randomness;
    private readonly LocalTrainingOptions _options;
    private readonly ParameterSegment[] _head;
    private ParameterVector? _personal; // Ditto's v; for fine-tuning, a vector whose head segments are the site's head

    public SitePersonalisation(PersonalisationSettings settings, ModelSpec spec, int maxBatchSize, Dataset train, SiteRandomness randomness, LocalTrainingOptions training)
    {
        settings.Validate();
        _settings = settings;
        _spec = spec;
        _maxBatchSize = maxBatchSize;
        _train = train;
        _randomness = randomness;
        _head = settings.Method == PersonalisationMethod.FineTune ? HeadOf(spec, spec.CreateLayout()) : [];
        _options = training with
        {
            LocalSteps = settings.LocalSteps ?? training.StepsFor(train.Count),
            ProximalMu = settings.Method == PersonalisationMethod.Ditto ? (float)settings.Lambda : 0f,
            Optimizer = settings.LearningRate is { } rate ? training.Optimizer with { LearningRate = rate } : training.Optimizer,
        };
    }

    /// <summary>The segments that stay at the site (FedPer's head: an MLP's output layer); empty for one-layer models and for Ditto.</summary>
    public IReadOnlyList<ParameterSegment> Head => _head;

    /// <summary>The per-site head of a model with layers: an MLP's last layer (weight and bias); none for logistic and Cox models.</summary>
    /// <param name="spec">The model.</param>
    /// <param name="layout">Its layout.</param>
    /// <returns>The head's segments.</returns>
    public static ParameterSegment[] HeadOf(ModelSpec spec, ParameterLayout layout)
    {
        if (spec.Kind != ModelKind.Mlp)
        {
            return [];
        }

        int last = spec.HiddenLayers.Length;
        return [layout[$"layer{last}.weight"], layout[$"layer{last}.bias"]];
    }

    /// <summary>Before local training: FedPer starts from the global body and the site's own head.</summary>
    /// <param name="local">The parameters local training starts from (a copy of the global ones).</param>
    public void BeforeTraining(ParameterVector local)
    {
        if (_head.Length > 0 && _personal is { } personal)
        {
            CopyHead(personal, local);
        }
    }

    /// <summary>
    /// After local training, before the update is formed: FedPer keeps the trained head; Ditto trains the personal model
    /// toward this round's global model.
    /// </summary>
    /// <param name="task">The training task.</param>
    /// <param name="local">The locally trained parameters.</param>
    /// <exception cref="ArithmeticException">Personal training diverged.</exception>
    public void AfterTraining(TrainTask task, ParameterVector local)
    {
        if (_head.Length > 0)
        {
            _personal ??= new ParameterVector(local.Layout);
            CopyHead(local, _personal);
        }

        if (_settings.Method == PersonalisationMethod.Ditto)
        {
            // Ditto (Li et al. 2021, Algorithm 1): v ← v − η(∇fₖ(v) + λ(v − wᵗ)) for s steps, from the site's own v.
            ParameterVector personal = _personal ?? task.GlobalParameters.Clone();
            TrainerPool.WithPlain(_spec, _maxBatchSize, trainer => trainer.Train(personal.Values, _train, _options, _randomness.Statistical("personal", task.Round), task.GlobalParameters.Values));
            if (!personal.IsFinite())
            {
                throw new ArithmeticException("Personal training diverged (non-finite parameters).");
            }

            _personal = personal;
        }
    }

    /// <summary>Takes the head out of the update: its coordinates are sent as zeros, so the head's values never leave the site.</summary>
    /// <param name="delta">local − global, about to enter the update pipeline.</param>
    public void Withhold(ParameterVector delta)
    {
        foreach (ParameterSegment segment in _head)
        {
            delta.Values.Slice(segment.Offset, segment.Length).Clear();
        }
    }

    /// <summary>The site's personal model for evaluating <paramref name="task"/>'s global model.</summary>
    /// <param name="task">The evaluation task (its parameters are the global model).</param>
    /// <returns>Ditto's personal model (the global one before the site's first round), or the global model (with the site's head) fine-tuned on the site's training data.</returns>
    /// <exception cref="ArithmeticException">Fine-tuning diverged.</exception>
    public ParameterVector For(EvaluateTask task)
    {
        if (_settings.Method == PersonalisationMethod.Ditto)
        {
            return _personal ?? task.Parameters;
        }

        ParameterVector tuned = task.Parameters.Clone();
        BeforeTraining(tuned);
        TrainerPool.WithPlain(_spec, _maxBatchSize, trainer => trainer.Train(tuned.Values, _train, _options, _randomness.Statistical("fine-tune", task.Round)));
        if (!tuned.IsFinite())
        {
            throw new ArithmeticException("Fine-tuning diverged (non-finite parameters).");
        }

        return tuned;
    }

    private void CopyHead(ParameterVector from, ParameterVector to)
    {
        foreach (ParameterSegment segment in _head)
        {
            from.Values.Slice(segment.Offset, segment.Length).CopyTo(to.Values.Slice(segment.Offset, segment.Length));
        }
    }
}
