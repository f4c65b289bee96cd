using System.Numerics.Tensors;
using Consortia.Learning;
using Consortia.Learning.Evaluation;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;

namespace Consortia.Federation.Sites;

/// <summary>
/// The site side of federated learning: holds the site's local data, trains and evaluates on it, and
/// answers tasks with values. The same code runs in simulation and behind a network node.
/// </summary>
/// <remarks>
/// One agent handles one task at a time (its trainer reuses buffers); the transports guarantee it.
/// Local data never leaves the agent: replies carry weighted parameter deltas and aggregate metrics only.
/// </remarks>
public sealed class SiteAgent
{
    private readonly Dataset _train;
    private readonly Dataset _test;
    private readonly IReadOnlyList<MetricKind> _metrics;
    private readonly RandomSource _random;
    private readonly LocalTrainer _trainer;
    private int _busy; // 1 while a task runs: the trainer's buffers serve one task at a time
    private ParameterVector? _controlVariate; // SCAFFOLD's cᵢ, kept at the site between rounds

    /// <summary>Creates an agent over a site's local train and test data.</summary>
    /// <param name="site">The site's name.</param>
    /// <param name="spec">The job's model specification.</param>
    /// <param name="train">Local training data.</param>
    /// <param name="test">Local test data.</param>
    /// <param name="metrics">The evaluation metrics to report.</param>
    /// <param name="random">The site's random source (derived from the job seed and the site).</param>
    /// <param name="maxBatchSize">The largest local batch size.</param>
    public SiteAgent(SiteId site, ModelSpec spec, Dataset train, Dataset test, IReadOnlyList<MetricKind> metrics, RandomSource random, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(random);
        Site = site;
        _train = train;
        _test = test;
        _metrics = metrics;
        _random = random;
        _trainer = new LocalTrainer(spec, maxBatchSize);
    }

    /// <summary>The site's name.</summary>
    public SiteId Site { get; }

    /// <summary>The number of local training examples (the site's aggregation weight).</summary>
    public int TrainingExamples => _train.Count;

    /// <summary>Handles one task and returns the outcome as a value.</summary>
    /// <param name="task">The task.</param>
    /// <param name="cancellationToken">Cancels the wait for the agent; training itself checks it between tasks.</param>
    /// <returns>The reply: completed, refused or failed.</returns>
    public async ValueTask<SiteReply> HandleAsync(SiteTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.Site != Site)
        {
            return new Failed(Site, task.Round, "wrong-site", $"Task addressed to '{task.Site}' reached site '{Site}'.");
        }

        ParameterVector parameters = task switch
        {
            TrainTask t => t.GlobalParameters,
            EvaluateTask e => e.Parameters,
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        if (!parameters.Layout.Equals(_trainer.Model.Layout) || !parameters.IsFinite())
        {
            return new Failed(Site, task.Round, "invalid-parameters", $"The parameters do not fit this job's model ({_trainer.Model.Layout.Length} finite values expected).");
        }

        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return new Failed(Site, task.Round, "site-busy", "The site is still working on another task.");
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield(); // run the CPU-bound work off the caller's synchronous path
            return task switch
            {
                TrainTask train => Train(train),
                EvaluateTask evaluate => Evaluate(evaluate),
                _ => throw new System.Diagnostics.UnreachableException(),
            };
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or ArithmeticException)
        {
            // The code and the exception type reach the coordinator; messages may quote local values, so they stay here.
            return new Failed(Site, task.Round, "site-error", $"{error.GetType().Name} while handling {task.GetType().Name}.");
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private TrainingCompleted Train(TrainTask task)
    {
        ParameterVector local = task.GlobalParameters.Clone();
        RandomSource random = _random.Derive("train").Derive((ulong)task.Round.Value);
        float[]? correction = null;
        if (task.ControlVariate is { } serverControl)
        {
            // SCAFFOLD: correct every local gradient by c − cᵢ.
            _controlVariate ??= new ParameterVector(serverControl.Layout);
            correction = new float[serverControl.Length];
            TensorPrimitives.Subtract(serverControl.Values, _controlVariate.Values, correction);
        }

        LocalTrainingResult result = _trainer.Train(local.Values, _train, task.Training, random, task.GlobalParameters.Values, correction);
        if (!local.IsFinite())
        {
            throw new ArithmeticException("Local training diverged (non-finite parameters).");
        }

        // Send weight · (local − global): the coordinator then needs only sums, which secure aggregation allows.
        double weight = _train.Count;
        Span<float> delta = local.Values;
        TensorPrimitives.Subtract(delta, task.GlobalParameters.Values, delta);
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

        TensorPrimitives.Multiply(delta, (float)weight, delta);
        SiteUpdate update = new(Site, local, weight, result.MeanLoss, result.Steps, controlDelta);
        return new TrainingCompleted(Site, task.Round, update);
    }

    private EvaluationCompleted Evaluate(EvaluateTask task)
    {
        IReadOnlyList<(MetricKind Kind, double Value)> values = ModelEvaluator.Evaluate(_trainer.Model, task.Parameters.Values, _test, _metrics);
        MetricValue[] metrics = [.. values.Select(v => new MetricValue(v.Kind, v.Value))];
        return new EvaluationCompleted(Site, task.Round, new EvaluationReport(Site, _test.Count, metrics));
    }
}
