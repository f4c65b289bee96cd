namespace Consortia.Learning.Optimization;

/// <summary>A first-order optimizer with internal state (momentum, moments) for one parameter vector.</summary>
public interface IOptimizer
{
    /// <summary>Applies one update to <paramref name="parameters"/> from <paramref name="gradient"/>.</summary>
    /// <param name="parameters">The parameters, updated in place.</param>
    /// <param name="gradient">The gradient of the loss at <paramref name="parameters"/>.</param>
    public void ApplyGradient(Span<float> parameters, ReadOnlySpan<float> gradient);
}
