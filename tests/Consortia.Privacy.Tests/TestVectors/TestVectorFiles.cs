using System.Globalization;

namespace Consortia.Privacy.Tests.TestVectors;

/// <summary>Reads the CSV test vectors copied next to the test assembly.</summary>
internal static class TestVectorFiles
{
    public static IReadOnlyList<EpsilonRow> Epsilons() =>
        Read("rdp_epsilons.csv", "q,noise_multiplier,steps,delta,orders,conversion,epsilon", f => new EpsilonRow(
            Number(f[0]), Number(f[1]), long.Parse(f[2], CultureInfo.InvariantCulture), Number(f[3]), f[4], f[5], Number(f[6])));

    public static IReadOnlyList<RdpValueRow> RdpValues() =>
        Read("rdp_values.csv", "q,noise_multiplier,order,rdp_one_step,rdp_numerical_integration,rel_diff", f => new RdpValueRow(
            Number(f[0]), Number(f[1]), Number(f[2]), Number(f[3]), Number(f[4])));

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static List<T> Read<T>(string name, string header, Func<string[], T> parse)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestVectors", name);
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != header)
        {
            throw new InvalidDataException($"{path}: expected the header '{header}'.");
        }

        List<T> rows = [];
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            string[] fields = lines[i].Split(',');
            if (fields.Length != header.Split(',').Length)
            {
                throw new InvalidDataException($"{path} line {i + 1}: expected {header.Split(',').Length} fields, got {fields.Length}.");
            }

            rows.Add(parse(fields));
        }

        return rows;
    }
}
