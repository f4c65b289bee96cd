namespace Consortia.Privacy.Accounting;

/// <summary>How an RDP curve is converted into an (ε, δ)-DP guarantee.</summary>
/// <remarks>All three are valid upper bounds; the names are those of the test vectors (rdp_epsilons.csv).</remarks>
public enum RdpConversion
{
    /// <summary>
    /// The improved conversion of Balle, Barthe, Gaboardi, Hsu and Sato (AISTATS 2020, Thm 21), also in Canonne,
    /// Kamath and Steinke (2020, Prop. 12): ε = min_α [R(α) + ln((α − 1)/α) − (ln δ + ln α)/(α − 1)]. It is
    /// always at least as good as <see cref="Classic"/> and is what Opacus reports. The default. Name <c>balle2020</c>.
    /// </summary>
    Balle2020 = 0,

    /// <summary>Mironov's conversion (CSF 2017, Prop. 3): ε = min_α [R(α) + ln(1/δ)/(α − 1)]. Name <c>classic</c>.</summary>
    Classic = 1,

    /// <summary>
    /// The improved bound with dp_accounting's three rules: orders α ≤ 1.01 are skipped, an order whose KL bound
    /// already gives δ (δ² + e^{−R(α)} − 1 &gt; 0) or whose R(α) is negative yields ε = 0, and the result is
    /// clamped at 0. Name <c>canonne2020_dpacc</c>.
    /// </summary>
    Canonne2020DpAccounting = 2,
}
