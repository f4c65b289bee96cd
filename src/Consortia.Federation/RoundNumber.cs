namespace Consortia.Federation;

/// <summary>A 1-based training round number (0 is the initial model).</summary>
/// <param name="Value">The round number.</param>
public readonly record struct RoundNumber(int Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
