using System.Globalization;
using Consortia.Learning.Models;

namespace Consortia.Learning.Export;

/// <summary>Recognises the model a parameter layout belongs to, for models that arrive without their job (a downloaded model).</summary>
public static class ModelLayouts
{
    /// <summary>
    /// The specification whose layout is <paramref name="layout"/>: <c>linear.weight</c> [1, F] and <c>linear.bias</c> [1] is
    /// logistic regression, <c>linear.weight</c> alone a Cox model, <c>layer0.weight</c>, <c>layer0.bias</c>, … an MLP.
    /// </summary>
    /// <param name="layout">The layout.</param>
    /// <returns>The specification (without L2, which does not change predictions).</returns>
    /// <exception cref="ArgumentException">The layout is none of Consortia's models; the message names the segments.</exception>
    public static ModelSpec SpecFor(ParameterLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        IReadOnlyList<ParameterSegment> s = layout.Segments;
        if (s.Count > 0 && s[0].Shape.Length == 2)
        {
            int features = s[0].Shape[1];
            ModelSpec? candidate = s[0].Name switch
            {
                "linear.weight" when s.Count == 1 => new ModelSpec(ModelKind.CoxPh, features, []),
                "linear.weight" => new ModelSpec(ModelKind.Logistic, features, []),
                "layer0.weight" when s.Count >= 4 && s.Count % 2 == 0 => new ModelSpec(
                    ModelKind.Mlp, features, [.. Enumerable.Range(0, (s.Count / 2) - 1).Select(l => s[2 * l].Shape[0])]),
                _ => null,
            };
            if (candidate is not null && candidate.CreateLayout().Equals(layout))
            {
                return candidate;
            }
        }

        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"The layout [{layout}] is not a Consortia model (logistic: linear.weight[1×F], linear.bias[1]; Cox: linear.weight[1×F]; MLP: layer0.weight, layer0.bias, … ending in [1×H], [1])."),
            nameof(layout));
    }
}
