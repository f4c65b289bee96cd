using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Governance.Policies;

namespace Consortia.Governance.Agreements;

/// <summary>
/// Writes the site policy that implements an agreement at one member site (<c>consortia agreement policy</c>): the
/// agreement's terms in the policy's own format, plus an <c>agreement:</c> reference so the site also enforces the
/// clauses a policy cannot express (purpose, validity, signatures).
/// </summary>
/// <remarks>
/// A site may tighten the generated policy (fewer models, a lower ε, a schedule); it enforces both its policy and the
/// agreement, so a stricter policy always wins and a looser one is still held to the agreement.
/// </remarks>
public static class AgreementPolicy
{
    /// <summary>The policy file text for <paramref name="site"/>.</summary>
    /// <param name="agreement">The agreement.</param>
    /// <param name="site">A member's site.</param>
    /// <param name="agreementFile">The agreement file as the policy should name it (relative to the policy file, or absolute).</param>
    /// <returns>YAML text that <see cref="SitePolicyLoader"/> reads.</returns>
    /// <exception cref="AgreementFileException">The site is not a member.</exception>
    public static string Generate(ConsortiumAgreement agreement, string site, string agreementFile)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        ArgumentNullException.ThrowIfNull(agreementFile);
        if (agreement.FindMember(site) is null)
        {
            throw new AgreementFileException(agreement.SourcePath ?? agreement.Name, null, null, "members", $"site '{site}' is not a member of '{agreement.Name}' (members: {string.Join(", ", agreement.Members.Select(m => m.Site))})");
        }

        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder y = new();
        y.AppendLine(c, $"# Site policy of '{site}' implementing the consortium agreement '{agreement.Name}' version {agreement.Version}");
        y.AppendLine(c, $"# (sha256 {agreement.Sha256}), written by 'consortia agreement policy'. Format: docs/policy.md.");
        y.AppendLine("# The site enforces this policy and the agreement both: tighten it freely, a looser policy is still held to the agreement.");
        y.AppendLine(c, $"version: {agreement.Version}");
        y.AppendLine(c, $"site: {Q(site)}");
        y.AppendLine(c, $"consortia: [{Q(agreement.Name)}]");
        y.AppendLine(c, $"owners: {List(agreement.Training.Submitters)}");
        y.AppendLine(c, $"models: {List(agreement.Training.Models)}");
        y.AppendLine(c, $"strategies: {List(agreement.Training.Strategies)}");
        y.AppendLine();
        y.AppendLine("protections:");
        y.AppendLine(c, $"  secure_aggregation: {B(agreement.Protections.SecureAggregation)}");
        y.AppendLine(c, $"  min_sites_per_aggregate: {agreement.Protections.MinSitesPerAggregate}");
        if (agreement.Protections.DifferentialPrivacy is { } dp)
        {
            y.AppendLine("  differential_privacy:");
            y.AppendLine(c, $"    required: {B(dp.Required)}");
            if (dp.Mode is { } mode)
            {
                y.AppendLine(c, $"    mode: {DpModeNames.ToName(mode)}");
            }

            y.AppendLine(c, $"    epsilon_ceiling_per_job: {N(dp.EpsilonPerJob)}");
            y.AppendLine(c, $"    lifetime_epsilon_budget: {N(dp.EpsilonPerMemberLifetime)}");
            y.AppendLine(c, $"    delta: {N(dp.Delta)}");
        }

        y.AppendLine();
        y.AppendLine("outputs:");
        y.AppendLine("  masked_updates: true");
        y.AppendLine(c, $"  plain_updates: {B(!agreement.Protections.SecureAggregation)}");
        y.AppendLine("  aggregate_metrics: true");
        y.AppendLine(c, $"  min_cell_count: {agreement.Outputs.MinCellCount}");
        y.AppendLine();
        y.AppendLine(c, $"columns: {List([.. agreement.Columns])}");
        y.AppendLine();
        y.AppendLine("agreement:");
        y.AppendLine(c, $"  file: {Q(agreementFile)}");
        return y.ToString();
    }

    /// <summary>A YAML double-quoted scalar (JSON string syntax is valid YAML).</summary>
    private static string Q(string text) => JsonSerializer.Serialize(text);

    private static string List(IReadOnlyList<string> items) => "[" + string.Join(", ", items.Select(Q)) + "]";

    private static string B(bool value) => value ? "true" : "false";

    private static string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
