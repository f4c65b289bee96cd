namespace Consortia.Privacy.Tests.TestVectors;

internal sealed record RdpValueRow(double Q, double NoiseMultiplier, double Order, double RdpOneStep, double RdpIntegration)
{
    public override string ToString() => $"q={Q} z={NoiseMultiplier} α={Order}";
}
