namespace Consortia.Network.Node;

/// <summary>
/// A node's training speed as it measures it: an exponentially weighted mean of examples ÷ wall time over its training
/// tasks, which the coordinator uses to size each site's work to a round's deadline (capacity-sized work).
/// </summary>
/// <remarks>
/// A mean of rates, weighted towards the latest (<see cref="Smoothing"/>): one slow task (the machine was busy) moves the
/// figure, several in a row replace it. Thread-safe: the tasks of different jobs run side by side.
/// </remarks>
internal sealed class TrainingSpeed
{
    /// <summary>The weight of the newest measurement.</summary>
    public const double Smoothing = 0.3;

    private readonly Lock _gate = new();
    private double _examplesPerSecond;

    /// <summary>The current estimate in examples per second; 0 until a task has been measured.</summary>
    public double ExamplesPerSecond
    {
        get
        {
            lock (_gate)
            {
                return _examplesPerSecond;
            }
        }
    }

    /// <summary>Adds one training task's measurement; one with no examples or no measurable time is ignored.</summary>
    /// <param name="examples">The training examples the task read (steps × batch size).</param>
    /// <param name="elapsed">The task's wall time on the node's clock.</param>
    public void Record(long examples, TimeSpan elapsed)
    {
        if (examples <= 0 || elapsed <= TimeSpan.Zero)
        {
            return;
        }

        double rate = examples / elapsed.TotalSeconds;
        lock (_gate)
        {
            _examplesPerSecond = _examplesPerSecond == 0 ? rate : (Smoothing * rate) + ((1 - Smoothing) * _examplesPerSecond);
        }
    }
}
