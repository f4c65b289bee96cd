using Consortia.Learning;
using Consortia.Privacy.Distributed;

namespace Consortia.Privacy.Tests.Distributed;

public sealed class RandomizedHadamardTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(14, 16)]
    [InlineData(16, 16)]
    [InlineData(1000, 1024)]
    public void PaddedLength_IsTheNextPowerOfTwo(int length, int expected) =>
        Assert.Equal(expected, RandomizedHadamard.PaddedLength(length));

    [Fact]
    public void Rotate_ThenUnrotate_IsTheIdentity_AndKeepsTheNorm()
    {
        RandomSource random = new(5);
        double[] x = [.. Enumerable.Range(0, 37).Select(_ => random.NextGaussian())];
        double[] y = new double[RandomizedHadamard.PaddedLength(x.Length)];
        ulong seed = RandomizedHadamard.SeedFor("job", 3);

        RandomizedHadamard.Rotate(x, y, seed);
        double normX = Math.Sqrt(x.Sum(v => v * v)), normY = Math.Sqrt(y.Sum(v => v * v));
        RandomizedHadamard.Unrotate(y, seed);

        Assert.Equal(normX, normY, 10);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(x[i], y[i], 10);
        }

        Assert.All(y[x.Length..], v => Assert.Equal(0, v, 10));
    }

    [Fact]
    public void Rotate_SpreadsASpikeOverAllCoordinates()
    {
        double[] x = new double[64];
        x[3] = 8;
        double[] y = new double[64];

        RandomizedHadamard.Rotate(x, y, 42);

        Assert.All(y, v => Assert.Equal(1, Math.Abs(v), 12)); // 8/√64 in every coordinate
    }

    [Fact]
    public void SeedFor_DependsOnJobAndRound()
    {
        Assert.Equal(RandomizedHadamard.SeedFor("a", 1), RandomizedHadamard.SeedFor("a", 1));
        Assert.NotEqual(RandomizedHadamard.SeedFor("a", 1), RandomizedHadamard.SeedFor("a", 2));
        Assert.NotEqual(RandomizedHadamard.SeedFor("a", 1), RandomizedHadamard.SeedFor("b", 1));
    }

    [Fact]
    public void Rotate_WrongLengths_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => RandomizedHadamard.Rotate(new double[5], new double[6], 1));
        Assert.Throws<ArgumentException>(() => RandomizedHadamard.Rotate(new double[9], new double[8], 1));
    }
}
