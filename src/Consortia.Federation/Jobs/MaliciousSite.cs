using Consortia.Learning;

namespace Consortia.Federation.Jobs;

/// <summary>A poisoning drill: one simulated site that attacks the federation (<c>simulation.malicious</c>). Simulation only; a deployed site is never built with one.</summary>
/// <param name="Site">The site's name, as in the data.</param>
/// <param name="Attack">What it does.</param>
/// <param name="Factor">The attack's strength: the multiplier of <see cref="AttackKind.SignFlip"/> and <see cref="AttackKind.Scale"/>; unused by <see cref="AttackKind.LabelFlip"/>.</param>
public sealed record MaliciousSite(string Site, AttackKind Attack, double Factor = 1.0)
{
    /// <summary>Checks the entry and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Site))
        {
            throw new ArgumentException("simulation.malicious[].site: expected a site name.");
        }

        if (!double.IsFinite(Factor) || Factor <= 0)
        {
            throw new ArgumentException($"simulation.malicious[].factor: expected a positive value, got {Factor} (site '{Site}').");
        }
    }

    /// <summary>The multiplier the site applies to its honest update (1 for label flipping, which poisons the data instead).</summary>
    internal float UpdateScale => Attack switch
    {
        AttackKind.SignFlip => (float)-Factor,
        AttackKind.Scale => (float)Factor,
        AttackKind.LabelFlip => 1f,
        _ => throw new System.Diagnostics.UnreachableException(),
    };

    /// <summary>The training data the site uses: its own, with labels flipped for <see cref="AttackKind.LabelFlip"/>.</summary>
    /// <param name="train">The site's honest training data.</param>
    /// <returns>The data it trains on.</returns>
    internal Dataset Poison(Dataset train)
    {
        if (Attack != AttackKind.LabelFlip)
        {
            return train;
        }

        float[] labels = new float[train.Count];
        ReadOnlySpan<float> honest = train.Labels;
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = 1f - honest[i];
        }

        return new Dataset(train.FeatureNames, train.Features.ToArray(), labels, train.HasTimes ? train.Times.ToArray() : null);
    }
}
