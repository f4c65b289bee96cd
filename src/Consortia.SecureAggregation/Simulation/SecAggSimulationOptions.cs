using Consortia.SecureAggregation.Protocol;

namespace Consortia.SecureAggregation.Simulation;

/// <summary>The configuration of one simulated secure-aggregation round.</summary>
public sealed record SecAggSimulationOptions
{
    /// <summary>The session options (participants, vector length, threshold, graph, mode).</summary>
    /// <value>Required.</value>
    public required SecAggSessionOptions Session { get; init; }

    /// <summary>Who drops, and when.</summary>
    /// <value>Default <see cref="DropoutPlan.None"/>.</value>
    public DropoutPlan Dropouts { get; init; } = DropoutPlan.None;

    /// <summary>Seed of the deterministic cryptographic randomness, or <see langword="null"/> for the OS CSPRNG.</summary>
    /// <value>Default <see langword="null"/>. With a seed, the whole transcript is reproducible.</value>
    public ulong? Seed { get; init; }

    /// <summary>Whether the participants' identity keys are ECDSA P-256 (what deployed sites sign with) rather than Ed25519.</summary>
    /// <value>Default <see langword="false"/> (Ed25519). Only used in malicious-server mode.</value>
    public bool EcdsaIdentities { get; init; }

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A field is invalid; the message names it.</exception>
    public void Validate()
    {
        if (Session is null)
        {
            throw new ArgumentException("Session is required.", nameof(Session));
        }

        Session.Validate();
        if (Dropouts is null)
        {
            throw new ArgumentException("Dropouts must not be null; use DropoutPlan.None.", nameof(Dropouts));
        }
    }
}
