namespace Consortia.Assurance.Reconstruction;

/// <summary>How a gradient-inversion attack compares the gradient of its guess with the observed one.</summary>
public enum GradientMatching
{
    /// <summary>1 − cos(guess, observed) (Geiping et al. 2020): blind to the update's scale, so the attacker needs neither the learning rate nor a clipping factor.</summary>
    Cosine,

    /// <summary>‖guess − observed‖² (Zhu et al. 2019, "Deep Leakage from Gradients"): needs the gradient at its true scale.</summary>
    SquaredError,
}
