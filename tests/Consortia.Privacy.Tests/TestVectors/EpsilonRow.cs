namespace Consortia.Privacy.Tests.TestVectors;

internal sealed record EpsilonRow(double Q, double NoiseMultiplier, long Steps, double Delta, string Orders, string Conversion, double Epsilon)
{
    public override string ToString() => $"q={Q} z={NoiseMultiplier} T={Steps} {Orders}/{Conversion}";
}
