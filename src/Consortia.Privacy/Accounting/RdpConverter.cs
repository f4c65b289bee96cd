using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Consortia.Privacy.Accounting;

/// <summary>Converts an RDP curve R(α) into (ε, δ)-DP guarantees, in both directions.</summary>
/// <remarks>
/// Convert once, from the composed curve: RDP composes by adding curves order by order, (ε, δ) pairs must never
/// be added. The functions are pure and thread-safe. See <see cref="RdpConversion"/> for the three bounds.
/// </remarks>
public static class RdpConverter
{
    /// <summary>The canonical name of a conversion, as written in the test vectors.</summary>
    /// <param name="conversion">The conversion.</param>
    /// <returns><c>balle2020</c>, <c>classic</c> or <c>canonne2020_dpacc</c>.</returns>
    public static string GetName(RdpConversion conversion) => conversion switch
    {
        RdpConversion.Balle2020 => "balle2020",
        RdpConversion.Classic => "classic",
        RdpConversion.Canonne2020DpAccounting => "canonne2020_dpacc",
        _ => throw new UnreachableException($"Unknown conversion {conversion}."),
    };

    /// <summary>Parses a conversion name or alias (case-insensitive).</summary>
    /// <param name="name">
    /// <c>balle2020</c> (aliases <c>improved</c>, <c>opacus</c>), <c>classic</c> (<c>mironov2017</c>) or
    /// <c>canonne2020_dpacc</c> (<c>dp-accounting</c>).
    /// </param>
    /// <param name="conversion">The conversion when recognised.</param>
    /// <returns>Whether the name was recognised.</returns>
    public static bool TryParse([NotNullWhen(true)] string? name, out RdpConversion conversion)
    {
        RdpConversion? parsed = name?.Trim().ToUpperInvariant().Replace('-', '_') switch
        {
            "BALLE2020" or "IMPROVED" or "OPACUS" => RdpConversion.Balle2020,
            "CLASSIC" or "MIRONOV2017" => RdpConversion.Classic,
            "CANONNE2020_DPACC" or "DP_ACCOUNTING" => RdpConversion.Canonne2020DpAccounting,
            _ => null,
        };
        conversion = parsed.GetValueOrDefault();
        return parsed.HasValue;
    }

    /// <summary>Converts an RDP curve to the smallest ε over the orders at a given δ.</summary>
    /// <param name="orders">The Rényi orders, each &gt; 1.</param>
    /// <param name="rdp">R(α) per order (same length; +∞ allowed).</param>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="conversion">The conversion; the improved bound by default.</param>
    /// <returns>ε, δ and the optimal order (the first one on ties). ε is +∞ with order NaN when no order is finite.</returns>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, or an order is not &gt; 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is outside (0, 1).</exception>
    public static PrivacyGuarantee ToEpsilon(ReadOnlySpan<double> orders, ReadOnlySpan<double> rdp, double delta, RdpConversion conversion = RdpConversion.Balle2020)
    {
        ValidateCurve(orders, rdp);
        if (!(delta > 0.0 && delta < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must be in (0, 1).");
        }

        double logDelta = Math.Log(delta);
        double best = double.PositiveInfinity;
        int bestIndex = -1;
        for (int i = 0; i < orders.Length; i++)
        {
            double epsilon = EpsilonAtOrder(orders[i], rdp[i], delta, logDelta, conversion);
            if (epsilon < best)
            {
                best = epsilon;
                bestIndex = i;
            }
        }

        if (bestIndex < 0)
        {
            return new PrivacyGuarantee(double.PositiveInfinity, delta, double.NaN, false);
        }

        if (conversion == RdpConversion.Canonne2020DpAccounting)
        {
            best = Math.Max(0.0, best);
        }

        return new PrivacyGuarantee(best, delta, orders[bestIndex], bestIndex == 0 || bestIndex == orders.Length - 1);
    }

    /// <summary>Converts an RDP curve to the smallest δ over the orders at a given ε (for budget checks).</summary>
    /// <param name="orders">The Rényi orders, each &gt; 1.</param>
    /// <param name="rdp">R(α) per order.</param>
    /// <param name="epsilon">ε ≥ 0.</param>
    /// <param name="conversion">The conversion; the improved bound by default.</param>
    /// <returns>δ in [0, 1] (capped at 1).</returns>
    /// <remarks>
    /// Improved: δ = min_α exp((α − 1)(R(α) − ε + ln(1 − 1/α)) − ln α); classic: δ = min_α exp((α − 1)(R(α) − ε));
    /// dp_accounting's variant also takes the KL bound √(1 − e^{−R(α)}) and skips orders ≤ 1.01 for the RDP bound.
    /// </remarks>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, or an order is not &gt; 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is negative or NaN.</exception>
    public static double ToDelta(ReadOnlySpan<double> orders, ReadOnlySpan<double> rdp, double epsilon, RdpConversion conversion = RdpConversion.Balle2020)
    {
        ValidateCurve(orders, rdp);
        if (!(epsilon >= 0.0))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be non-negative.");
        }

        double bestLog = 0.0;
        for (int i = 0; i < orders.Length; i++)
        {
            double a = orders[i];
            double r = rdp[i];
            double logDelta = conversion switch
            {
                RdpConversion.Classic => (a - 1.0) * (r - epsilon),
                RdpConversion.Balle2020 => ((a - 1.0) * (r - epsilon + LogMath.Log1P(-1.0 / a))) - Math.Log(a),
                RdpConversion.Canonne2020DpAccounting => Math.Min(
                    r <= 0.0 ? double.NegativeInfinity : 0.5 * LogMath.Log1P(-Math.Exp(-r)),
                    a > 1.01 ? ((a - 1.0) * (r - epsilon + LogMath.Log1P(-1.0 / a))) - Math.Log(a) : double.PositiveInfinity),
                _ => throw new UnreachableException($"Unknown conversion {conversion}."),
            };
            if (logDelta < bestLog)
            {
                bestLog = logDelta;
            }
        }

        return Math.Exp(bestLog);
    }

    private static double EpsilonAtOrder(double a, double r, double delta, double logDelta, RdpConversion conversion)
    {
        switch (conversion)
        {
            case RdpConversion.Balle2020:
                return r - ((logDelta + Math.Log(a)) / (a - 1.0)) + Math.Log((a - 1.0) / a);
            case RdpConversion.Classic:
                return r - (logDelta / (a - 1.0));
            case RdpConversion.Canonne2020DpAccounting:
                if (r < 0.0)
                {
                    return 0.0;
                }

                // The KL bound δ ≤ √(1 − e^{−R}) already gives (0, δ)-DP at this order.
                if ((delta * delta) + LogMath.ExpM1(-r) > 0.0)
                {
                    return 0.0;
                }

                // The RDP bound is numerically unstable (and useless) as α → 1.
                return a > 1.01
                    ? r + LogMath.Log1P(-1.0 / a) - (Math.Log(delta * a) / (a - 1.0))
                    : double.PositiveInfinity;
            default:
                throw new UnreachableException($"Unknown conversion {conversion}.");
        }
    }

    private static void ValidateCurve(ReadOnlySpan<double> orders, ReadOnlySpan<double> rdp)
    {
        if (orders.IsEmpty)
        {
            throw new ArgumentException("At least one order is needed.", nameof(orders));
        }

        if (orders.Length != rdp.Length)
        {
            throw new ArgumentException($"{orders.Length} orders but {rdp.Length} RDP values.", nameof(rdp));
        }

        foreach (double a in orders)
        {
            if (!(a > 1.0))
            {
                throw new ArgumentException($"Order {a} is not greater than 1.", nameof(orders));
            }
        }
    }
}
