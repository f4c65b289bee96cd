using Consortia.SecureAggregation.Protocol;

namespace Consortia.SecureAggregation.Graph;

/// <summary>The inputs of <see cref="SecAggPlanner"/> (design reference §2.6).</summary>
public sealed record SecAggPlannerOptions
{
    /// <summary>The number of selected participants n.</summary>
    /// <value>Required; at least 3.</value>
    public required int Participants { get; init; }

    /// <summary>The fraction γ of participants that may be corrupt (colluding with the server).</summary>
    /// <value>Required; in [0, 1).</value>
    public required double CorruptFraction { get; init; }

    /// <summary>The fraction δ of participants that may drop out during the session.</summary>
    /// <value>Required; in [0, 1).</value>
    public required double DropoutFraction { get; init; }

    /// <summary>The threat model; malicious-server mode adds the "no double release" rule 2t &gt; (k + 1) + c.</summary>
    /// <value>Default <see cref="SecAggSecurityMode.SemiHonest"/>.</value>
    public SecAggSecurityMode Mode { get; init; } = SecAggSecurityMode.SemiHonest;

    /// <summary>σ_s: the privacy failure probability per session is at most 2^−σ_s.</summary>
    /// <value>Default 40; 1 to 256.</value>
    public int SecurityBits { get; init; } = 40;

    /// <summary>η: the correctness failure probability per session is at most 2^−η.</summary>
    /// <value>Default 20; 1 to 256.</value>
    public int CorrectnessBits { get; init; } = 20;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A field is invalid; the message names it.</exception>
    public void Validate()
    {
        if (Participants < 3)
        {
            throw new ArgumentException($"Participants must be at least 3 (with fewer, the sum reveals the inputs), got {Participants}.", nameof(Participants));
        }

        if (!(CorruptFraction >= 0 && CorruptFraction < 1))
        {
            throw new ArgumentException($"CorruptFraction must be in [0, 1), got {CorruptFraction}.", nameof(CorruptFraction));
        }

        if (!(DropoutFraction >= 0 && DropoutFraction < 1))
        {
            throw new ArgumentException($"DropoutFraction must be in [0, 1), got {DropoutFraction}.", nameof(DropoutFraction));
        }

        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentException($"Mode {Mode} is not defined.", nameof(Mode));
        }

        if (SecurityBits < 1 || SecurityBits > 256)
        {
            throw new ArgumentException($"SecurityBits must be in [1, 256], got {SecurityBits}.", nameof(SecurityBits));
        }

        if (CorrectnessBits < 1 || CorrectnessBits > 256)
        {
            throw new ArgumentException($"CorrectnessBits must be in [1, 256], got {CorrectnessBits}.", nameof(CorrectnessBits));
        }
    }
}
