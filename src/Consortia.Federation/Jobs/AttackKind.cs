namespace Consortia.Federation.Jobs;

/// <summary>What a malicious simulated site does (<c>simulation.malicious[].attack</c>).</summary>
public enum AttackKind
{
    /// <summary><c>sign-flip</c>: sends −factor × its honest update (gradient ascent, amplified).</summary>
    SignFlip,

    /// <summary><c>scale</c>: sends factor × its honest update (model replacement by boosting).</summary>
    Scale,

    /// <summary><c>label-flip</c>: trains honestly on data whose binary labels are flipped (y → 1 − y; for survival data the event indicator).</summary>
    LabelFlip,
}
