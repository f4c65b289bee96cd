using Consortia.Governance.Audit;
using Consortia.Governance.Roster;

namespace Consortia.Federation.SecureAggregation;

/// <summary>
/// The identities of simulated sites: one fresh P-256 signing key per site, held in memory only, and the roster
/// of all of them (each entry signed by its own site), which every simulated site accepts.
/// </summary>
/// <remarks>
/// The keys come from the operating system's generator even in a seeded simulation: they only authenticate, and a
/// run's results do not depend on them. Disposing erases the keys.
/// </remarks>
public sealed class SimulatedConsortium : IDisposable
{
    private readonly Dictionary<string, EcdsaLedgerSigner> _keys;

    private SimulatedConsortium(Dictionary<string, EcdsaLedgerSigner> keys, ConsortiumRoster roster)
    {
        _keys = keys;
        Roster = roster;
    }

    /// <summary>The roster of every site.</summary>
    public ConsortiumRoster Roster { get; }

    /// <summary>Creates a key per site and the roster they all joined.</summary>
    /// <param name="consortium">The consortium's name.</param>
    /// <param name="sites">The sites.</param>
    /// <returns>The consortium.</returns>
    public static SimulatedConsortium Create(string consortium, IEnumerable<string> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        Dictionary<string, EcdsaLedgerSigner> keys = new(StringComparer.Ordinal);
        ConsortiumRoster roster = ConsortiumRoster.Empty(consortium);
        foreach (string site in sites)
        {
            EcdsaLedgerSigner key = EcdsaLedgerSigner.Generate();
            keys.Add(site, key);
            roster = roster.With(ConsortiumRoster.Join(consortium, site, key));
        }

        return new SimulatedConsortium(keys, roster);
    }

    /// <summary>The signing key of <paramref name="site"/>.</summary>
    /// <param name="site">A site of the consortium.</param>
    /// <returns>Its key (owned by this object).</returns>
    /// <exception cref="KeyNotFoundException">The site is not a member.</exception>
    public ILedgerSigner KeyOf(string site) => _keys[site];

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (EcdsaLedgerSigner key in _keys.Values)
        {
            key.Dispose();
        }

        _keys.Clear();
    }
}
