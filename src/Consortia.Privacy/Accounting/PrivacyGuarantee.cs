namespace Consortia.Privacy.Accounting;

/// <summary>An (ε, δ)-DP guarantee obtained from an RDP curve, with the Rényi order that gave it.</summary>
/// <param name="Epsilon">ε; +∞ when no order gives a finite bound.</param>
/// <param name="Delta">δ.</param>
/// <param name="Order">The optimal Rényi order α*; NaN when <paramref name="Epsilon"/> is +∞.</param>
/// <param name="OrderAtGridEdge">
/// Whether α* is the smallest or largest order of the grid: the value is exact for that grid, but a wider grid
/// may give a smaller ε, so the grid should be widened.
/// </param>
public readonly record struct PrivacyGuarantee(double Epsilon, double Delta, double Order, bool OrderAtGridEdge);
