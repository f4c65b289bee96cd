namespace Consortia.Dashboard;

/// <summary>A consortium as the dashboard lists it.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Members">Its member sites (from its roster), in roster order.</param>
/// <param name="Ledger">The head of its audit ledger, or <see langword="null"/> when it keeps none.</param>
public sealed record DashboardConsortium(string Name, IReadOnlyList<string> Members, LedgerHead? Ledger);
