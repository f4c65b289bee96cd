using System.Globalization;
using System.Text;
namespace Consortia.TestKit;

/// <summary>
/// A small seeded table in a folder with its contract, site policy and job: three clinics split by age (north 30–50,
/// central 50–70, south 70–90), and south codes a tenth of its missing glucose values as 0.
/// </summary>
public sealed class ExplorationFiles : IDisposable
{
    private readonly TempDirectory _folder = new();

    /// <summary>Writes the files.</summary>
    /// <param name="rowsPerSite">Rows per clinic.</param>
    /// <param name="minCellCount">The policy's <c>outputs.min_cell_count</c>.</param>
    /// <param name="secure">Whether the job uses secure aggregation.</param>
    /// <param name="plainUpdates">The policy's <c>outputs.plain_updates</c>.</param>
    /// <param name="seed">Seeds the generated values.</param>
    public ExplorationFiles(int rowsPerSite = 200, int minCellCount = 5, bool secure = true, bool plainUpdates = true, ulong seed = 7)
    {
        var random = new Random((int)seed);
        var csv = new StringBuilder("clinic,age,glucose,bmi,outcome\n");
        (string Site, int Low)[] sites = [("north", 30), ("central", 50), ("south", 70)];
        foreach ((string site, int low) in sites)
        {
            for (int r = 0; r < rowsPerSite; r++)
            {
                double age = low + (random.NextDouble() * 20);
                double glucose = Math.Clamp(100 + (15 * Normal(random)), 50, 250);
                string glucoseText = site == "south" && r % 10 == 0 ? "0" : glucose.ToString("F1", CultureInfo.InvariantCulture);
                string bmi = r % 25 == 3 ? "" : (26 + (4 * Normal(random))).ToString("F1", CultureInfo.InvariantCulture);
                int outcome = random.NextDouble() < 0.3 + ((age - 30) / 200) ? 1 : 0;
                csv.Append(CultureInfo.InvariantCulture, $"{site},{age:F1},{glucoseText},{bmi},{outcome}\n");
            }
        }

        File.WriteAllText(Csv, csv.ToString());
        File.WriteAllText(_folder.File("contract.yaml"), """
            name: clinics
            header: true
            columns:
              - { name: clinic, type: categorical, role: site, levels: [north, central, south] }
              - { name: age, type: number, min: 18, max: 100 }
              - { name: glucose, type: number, min: 0, max: 400, description: mg/dL }
              - { name: bmi, type: number, allowMissing: true }
              - { name: outcome, type: binary, role: target }
            """);
        File.WriteAllText(_folder.File("policy.yaml"), $"""
            version: 1
            consortia: [clinics]
            owners: [alice@lead.example.org]
            models: [logistic]
            strategies: [fedavg]
            protections:
              secure_aggregation: false
              min_sites_per_aggregate: 1
            outputs:
              masked_updates: true
              plain_updates: {(plainUpdates ? "true" : "false")}
              aggregate_metrics: true
              min_cell_count: {minCellCount}
            columns: [age, glucose, bmi, outcome]
            """);
        File.WriteAllText(Job, $"""
            version: 1
            name: clinics-explore
            consortium: clinics
            owner: alice@lead.example.org
            seed: 11
            data:
              format: csv
              path: clinics.csv
              contract: contract.yaml
              site_column: clinic
            model:
              kind: logistic
            training:
              rounds: 1
            strategy:
              kind: fedavg
            {(secure ? "privacy:\n  secure_aggregation: true\n" : "")}policies:
              default: policy.yaml
            """);
    }

    /// <summary>The data file.</summary>
    public string Csv => _folder.File("clinics.csv");

    /// <summary>The job file.</summary>
    public string Job => _folder.File("job.yaml");

    /// <summary>The folder holding all of them.</summary>
    public string Folder => _folder.Path;

    /// <inheritdoc/>
    public void Dispose() => _folder.Dispose();

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
