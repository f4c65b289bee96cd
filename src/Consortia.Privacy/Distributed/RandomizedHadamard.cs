using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Consortia.Learning;

namespace Consortia.Privacy.Distributed;

/// <summary>
/// The random rotation of distributed DP: pad to a power of two D, multiply by a random ±1 diagonal, apply the
/// normalised Walsh–Hadamard transform H/√D. It spreads a vector's norm evenly over the coordinates (each about
/// ‖x‖·√(2 ln(2D)/D)), so integer rounding and the ring's range cost little; it is orthogonal, so L2 norms are kept.
/// </summary>
/// <remarks>
/// The seed is public and per round (<see cref="SeedFor"/>): every site and the coordinator derive it from the job and
/// the round, so all sites rotate alike and the coordinator can invert the rotation of the sum.
/// </remarks>
public static class RandomizedHadamard
{
    /// <summary>The padded length D: the smallest power of two ≥ <paramref name="length"/>.</summary>
    /// <param name="length">d ≥ 1.</param>
    /// <returns>D.</returns>
    public static int PaddedLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 1 << 30);
        return (int)BitOperations.RoundUpToPowerOf2((uint)length);
    }

    /// <summary>The round's public rotation seed: the first 8 bytes of SHA-256("consortia.ddp.rotation.v1", job, round).</summary>
    /// <param name="jobId">The job's name.</param>
    /// <param name="round">The round number.</param>
    /// <returns>The seed.</returns>
    public static ulong SeedFor(string jobId, int round)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        byte[] text = Encoding.UTF8.GetBytes($"consortia.ddp.rotation.v1\0{jobId}\0{round.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        return BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(text));
    }

    /// <summary>y = (H/√D)·S·pad(x), S the seed's ±1 diagonal.</summary>
    /// <param name="x">The vector (length ≤ D).</param>
    /// <param name="y">The rotated vector (length D, a power of two).</param>
    /// <param name="seed">The round's rotation seed.</param>
    public static void Rotate(ReadOnlySpan<double> x, Span<double> y, ulong seed)
    {
        CheckLengths(x.Length, y.Length);
        y.Clear();
        x.CopyTo(y);
        ApplySigns(y, seed);
        Transform(y);
    }

    /// <summary>The inverse: y ← S·(H/√D)·y, in place (H/√D is its own inverse).</summary>
    /// <param name="y">The rotated vector (length D, a power of two); the first d entries are the original afterwards.</param>
    /// <param name="seed">The round's rotation seed.</param>
    public static void Unrotate(Span<double> y, ulong seed)
    {
        CheckLengths(y.Length, y.Length);
        Transform(y);
        ApplySigns(y, seed);
    }

    private static void CheckLengths(int input, int padded)
    {
        if (padded < 1 || !BitOperations.IsPow2(padded) || input > padded)
        {
            throw new ArgumentException($"The rotated length must be a power of two ≥ the input's {input}, got {padded}.");
        }
    }

    private static void ApplySigns(Span<double> y, ulong seed)
    {
        RandomSource signs = new(seed);
        for (int i = 0; i < y.Length; i += 64)
        {
            ulong bits = signs.NextUInt64();
            int end = Math.Min(64, y.Length - i);
            for (int j = 0; j < end; j++)
            {
                if (((bits >> j) & 1) != 0)
                {
                    y[i + j] = -y[i + j];
                }
            }
        }
    }

    /// <summary>The in-place fast Walsh–Hadamard transform, scaled by 1/√D so that it is orthonormal.</summary>
    private static void Transform(Span<double> y)
    {
        for (int h = 1; h < y.Length; h *= 2)
        {
            for (int i = 0; i < y.Length; i += 2 * h)
            {
                for (int j = i; j < i + h; j++)
                {
                    double a = y[j];
                    double b = y[j + h];
                    y[j] = a + b;
                    y[j + h] = a - b;
                }
            }
        }

        double scale = 1.0 / Math.Sqrt(y.Length);
        for (int i = 0; i < y.Length; i++)
        {
            y[i] *= scale;
        }
    }
}
