using Consortia.Learning.Optimization;

namespace Consortia.Learning.Tests.Optimization;

public sealed class OptimizerTests
{
    [Fact]
    public void Sgd_WithMomentum_FollowsPyTorchRecurrence()
    {
        IOptimizer sgd = new OptimizerOptions { Kind = OptimizerKind.Sgd, LearningRate = 0.1f, Momentum = 0.9f }.Create(1);
        float[] p = [1f];

        sgd.ApplyGradient(p, [1f]);   // v = 1, p = 0.9
        sgd.ApplyGradient(p, [1f]);   // v = 1.9, p = 0.71

        Assert.Equal(0.71f, p[0], 5);
    }

    [Fact]
    public void Adam_FirstStep_MovesEachParameterByLearningRate()
    {
        IOptimizer adam = new OptimizerOptions { Kind = OptimizerKind.Adam, LearningRate = 0.01f }.Create(3);
        float[] p = [0f, 0f, 0f];

        adam.ApplyGradient(p, [3f, -0.5f, 100f]);

        // With bias correction the first step is lr · g/|g| (up to ε).
        Assert.Equal(-0.01f, p[0], 5);
        Assert.Equal(0.01f, p[1], 5);
        Assert.Equal(-0.01f, p[2], 5);
    }

    [Fact]
    public void Adam_MinimisesQuadratic()
    {
        IOptimizer adam = new OptimizerOptions { Kind = OptimizerKind.Adam, LearningRate = 0.05f }.Create(2);
        float[] p = [3f, -2f];
        float[] g = new float[2];

        for (int i = 0; i < 2000; i++)
        {
            g[0] = 2 * (p[0] - 1);
            g[1] = 2 * (p[1] + 1);
            adam.ApplyGradient(p, g);
        }

        Assert.Equal(1f, p[0], 2);
        Assert.Equal(-1f, p[1], 2);
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(-1f, 0f)]
    [InlineData(0.1f, 1f)]
    [InlineData(float.NaN, 0f)]
    public void Validate_BadValues_NamesField(float learningRate, float momentum)
    {
        OptimizerOptions options = new() { LearningRate = learningRate, Momentum = momentum };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("optimizer.", error.Message, StringComparison.Ordinal);
    }
}
