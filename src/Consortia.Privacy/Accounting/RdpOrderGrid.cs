using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;

namespace Consortia.Privacy.Accounting;

/// <summary>A named, ordered set of Rényi orders on which RDP curves are evaluated and converted to (ε, δ).</summary>
/// <remarks>
/// <para>The named grids are those of the design reference (privacy-and-secure-aggregation.md §4.2):</para>
/// <list type="table">
/// <item><term><c>opacus_default</c></term><description>1.1, 1.2, …, 10.9 and 12, …, 63 (151 orders), Opacus'
/// <c>DEFAULT_ALPHAS</c>; the default of <see cref="RdpAccountant"/>.</description></item>
/// <item><term><c>opacus_extended</c></term><description><c>opacus_default</c> plus 128, 256, 512, 1024
/// (155 orders): the recommended grid for production reporting, because large noise and few steps put the
/// optimum above 63; the default of the privacy budget ledger.</description></item>
/// <item><term><c>dp_accounting_default</c></term><description>1.1, …, 10.9, 11, …, 63, 128, 256, 512, 1024
/// (156 orders), Google dp_accounting's <c>RdpAccountant</c> default.</description></item>
/// <item><term><c>integer_2_128_256</c></term><description>2, 3, …, 128 and 256 (128 orders), the grid of
/// distributed-DP accounting (integer orders only).</description></item>
/// </list>
/// <para>The fractional orders are generated as 1 + x/10 in double precision, exactly like the reference
/// implementations, so reported optimal orders compare bit for bit. Instances are immutable and thread-safe.</para>
/// </remarks>
public sealed class RdpOrderGrid
{
    private readonly double[] _orders;

    private RdpOrderGrid(string name, double[] orders)
    {
        Name = name;
        _orders = orders;
        OrderList = new ReadOnlyCollection<double>(orders);
    }

    /// <summary>Opacus' default grid (151 orders from 1.1 to 63); the accountant's default.</summary>
    public static RdpOrderGrid OpacusDefault { get; } = new("opacus_default", [.. Tenths(), .. Range(12, 63)]);

    /// <summary>Opacus' default grid extended with 128, 256, 512 and 1024 (155 orders); the ledger's default.</summary>
    public static RdpOrderGrid OpacusExtended { get; } = new("opacus_extended", [.. Tenths(), .. Range(12, 63), 128, 256, 512, 1024]);

    /// <summary>Google dp_accounting's default grid (156 orders from 1.1 to 1024).</summary>
    public static RdpOrderGrid DpAccountingDefault { get; } = new("dp_accounting_default", [.. Tenths(), .. Range(11, 63), 128, 256, 512, 1024]);

    /// <summary>The integer grid 2, …, 128 and 256 (128 orders) used for distributed-DP mechanisms.</summary>
    public static RdpOrderGrid Integer2To128And256 { get; } = new("integer_2_128_256", [.. Range(2, 128), 256]);

    /// <summary>The canonical names of the built-in grids.</summary>
    public static IReadOnlyList<string> KnownNames { get; } =
        ["opacus_default", "opacus_extended", "dp_accounting_default", "integer_2_128_256"];

    /// <summary>The grid's name (a canonical name for the built-in grids).</summary>
    public string Name { get; }

    /// <summary>The orders, strictly increasing, each greater than 1.</summary>
    public ReadOnlySpan<double> Orders => _orders;

    /// <summary>The orders as a read-only list.</summary>
    public IReadOnlyList<double> OrderList { get; }

    /// <summary>The number of orders.</summary>
    public int Count => _orders.Length;

    /// <summary>Creates a custom grid.</summary>
    /// <param name="name">A name recorded with every result computed on the grid.</param>
    /// <param name="orders">The orders: at least one, finite, greater than 1 and strictly increasing.</param>
    /// <returns>The grid.</returns>
    /// <exception cref="ArgumentException">The name is empty or the orders are not valid.</exception>
    public static RdpOrderGrid Create(string name, ReadOnlySpan<double> orders)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (orders.IsEmpty)
        {
            throw new ArgumentException("An order grid needs at least one order.", nameof(orders));
        }

        for (int i = 0; i < orders.Length; i++)
        {
            if (!(orders[i] > 1.0) || !double.IsFinite(orders[i]))
            {
                throw new ArgumentException($"Order {i} is {orders[i]}; every order must be finite and greater than 1.", nameof(orders));
            }

            if (i > 0 && !(orders[i] > orders[i - 1]))
            {
                throw new ArgumentException($"Orders must be strictly increasing; order {i} ({orders[i]}) follows {orders[i - 1]}.", nameof(orders));
            }
        }

        return new RdpOrderGrid(name, orders.ToArray());
    }

    /// <summary>Finds a built-in grid by its canonical name or a short alias (case-insensitive).</summary>
    /// <param name="name">
    /// <c>opacus_default</c> (alias <c>opacus</c>), <c>opacus_extended</c> (<c>opacus-extended</c>),
    /// <c>dp_accounting_default</c> (<c>dp-accounting</c>) or <c>integer_2_128_256</c> (<c>integer</c>).
    /// </param>
    /// <param name="grid">The grid when found.</param>
    /// <returns>Whether the name denotes a built-in grid.</returns>
    public static bool TryParse(string? name, [NotNullWhen(true)] out RdpOrderGrid? grid)
    {
        grid = name?.Trim().ToUpperInvariant().Replace('-', '_') switch
        {
            "OPACUS_DEFAULT" or "OPACUS" => OpacusDefault,
            "OPACUS_EXTENDED" => OpacusExtended,
            "DP_ACCOUNTING_DEFAULT" or "DP_ACCOUNTING" => DpAccountingDefault,
            "INTEGER_2_128_256" or "INTEGER" => Integer2To128And256,
            _ => null,
        };
        return grid is not null;
    }

    /// <summary>Whether the grid has the same orders as <paramref name="other"/>, bit for bit.</summary>
    /// <param name="other">The other grid.</param>
    /// <returns><see langword="true"/> when both grids hold identical orders (names are not compared).</returns>
    public bool HasSameOrders(RdpOrderGrid other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return _orders.AsSpan().SequenceEqual(other._orders);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Count} orders)";

    private static IEnumerable<double> Tenths()
    {
        for (int x = 1; x < 100; x++)
        {
            yield return 1.0 + (x / 10.0);
        }
    }

    private static IEnumerable<double> Range(int first, int last)
    {
        for (int a = first; a <= last; a++)
        {
            yield return a;
        }
    }
}
