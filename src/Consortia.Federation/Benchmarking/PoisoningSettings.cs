using Consortia.Federation.Jobs;

namespace Consortia.Federation.Benchmarking;

/// <summary>The poisoning drill's set-up (<c>consortia bench poisoning</c>).</summary>
public sealed record PoisoningSettings
{
    /// <summary>The number of IID virtual sites.</summary>
    /// <value>Default: 10.</value>
    public int Sites { get; init; } = 10;

    /// <summary>How many of them attack (the first ones: <c>site-0</c>, <c>site-1</c>, …).</summary>
    /// <value>Default: 2 (20 % of 10).</value>
    public int MaliciousSites { get; init; } = 2;

    /// <summary>The attack.</summary>
    /// <value>Default: <see cref="AttackKind.SignFlip"/>.</value>
    public AttackKind Attack { get; init; } = AttackKind.SignFlip;

    /// <summary>The attack's factor.</summary>
    /// <value>Default: 10 (a sign-flipping site sends −10 × its update: with 2 of 10 sites FedAvg's step points the wrong way).</value>
    public double Factor { get; init; } = 10;

    /// <summary>Rounds.</summary>
    /// <value>Default: 20.</value>
    public int Rounds { get; init; } = 20;

    /// <summary>Local SGD steps per round (batch 8).</summary>
    /// <value>Default: 10.</value>
    public int LocalSteps { get; init; } = 10;

    /// <summary>Local SGD learning rate.</summary>
    /// <value>Default: 0.05.</value>
    public float LearningRate { get; init; } = 0.05f;

    /// <summary>The seed of the split, the initial model and the training.</summary>
    /// <value>Default: 42.</value>
    public ulong Seed { get; init; } = 42;

    /// <summary>Checks the settings and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (Sites < 3)
        {
            throw new ArgumentException($"--sites: expected at least 3, got {Sites}.");
        }

        if (MaliciousSites < 0 || MaliciousSites * 2 >= Sites)
        {
            throw new ArgumentException($"--malicious: expected fewer than half of the {Sites} sites, got {MaliciousSites}.");
        }

        if (!double.IsFinite(Factor) || Factor <= 0)
        {
            throw new ArgumentException($"--factor: expected a positive value, got {Factor}.");
        }

        if (Rounds < 1 || LocalSteps < 1 || !float.IsFinite(LearningRate) || LearningRate <= 0)
        {
            throw new ArgumentException("--rounds, --local-steps and --learning-rate must be positive.");
        }
    }
}
