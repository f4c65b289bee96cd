using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Cli.Output;
using Consortia.Privacy.Accounting;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia privacy epsilon|calibrate</c>: the Rényi-DP accountant of the sampled Gaussian mechanism from the
/// command line — ε for given (q, σ, steps, δ), or the smallest noise multiplier meeting a target (ε, δ).
/// </summary>
internal static class PrivacyCommands
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        Command privacy = new("privacy", "Differential-privacy accounting: ε of the sampled Gaussian mechanism and noise calibration.");
        privacy.Subcommands.Add(CreateEpsilon());
        privacy.Subcommands.Add(CreateCalibrate());
        return privacy;
    }

    private static Command CreateEpsilon()
    {
        Option<double> sampleRate = SampleRateOption();
        Option<double> noiseMultiplier = NumberOption(
            "--noise-multiplier",
            "-z",
            "Noise multiplier σ: noise standard deviation over the L2 sensitivity (clip norm); > 0.",
            v => v > 0 && double.IsFinite(v),
            "a finite number > 0 (with no noise ε is infinite)");
        Option<long> steps = StepsOption();
        Option<double> delta = DeltaOption();
        Option<string> orders = OrdersOption();
        Option<string> conversion = ConversionOption();
        Option<bool> json = JsonOption();
        Command command = new("epsilon", "Prints ε of T steps of the Poisson-subsampled Gaussian mechanism at δ, with the optimal Rényi order.")
        {
            sampleRate, noiseMultiplier, steps, delta, orders, conversion, json,
        };
        command.SetAction(parse =>
        {
            RdpOrderGrid grid = ParseGrid(parse.GetValue(orders));
            RdpConversion method = ParseConversion(parse.GetValue(conversion));
            double q = parse.GetValue(sampleRate);
            double z = parse.GetValue(noiseMultiplier);
            long t = parse.GetValue(steps);
            double d = parse.GetValue(delta);
            PrivacyGuarantee guarantee = RdpAccountant.ComputeEpsilon(q, z, t, d, grid, method);
            TextWriter output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(WriteJson(writer =>
                {
                    Json.Number(writer, "epsilon", guarantee.Epsilon);
                    Json.Number(writer, "order", guarantee.Order);
                }));
            }
            else
            {
                output.WriteLine(string.Create(s_invariant, $"ε = {guarantee.Epsilon:G10} at δ = {d:G6} (optimal order α = {guarantee.Order:G6}; q = {q:G6}, σ = {z:G6}, {t} steps; orders {grid.Name}, conversion {RdpConverter.GetName(method)})"));
                if (guarantee.OrderAtGridEdge)
                {
                    output.WriteLine("note: the optimal order is at the edge of the grid; a wider grid (--orders opacus_extended) may give a smaller ε.");
                }
            }

            return 0;
        });
        return command;
    }

    private static Command CreateCalibrate()
    {
        Option<double> epsilon = NumberOption("--epsilon", "-e", "Target ε; > 0.", v => v > 0 && double.IsFinite(v), "a finite number > 0");
        Option<double> delta = DeltaOption();
        Option<double> sampleRate = SampleRateOption();
        Option<long> steps = StepsOption();
        Option<string> orders = OrdersOption();
        Option<string> conversion = ConversionOption();
        Option<bool> json = JsonOption();
        Command command = new("calibrate", "Prints the smallest noise multiplier σ whose T sampled Gaussian steps meet the target (ε, δ) (bisection on [0.01, 1000] to 1e-6 relative).")
        {
            epsilon, delta, sampleRate, steps, orders, conversion, json,
        };
        command.SetAction(parse =>
        {
            NoiseCalibrationOptions options = new()
            {
                TargetEpsilon = parse.GetValue(epsilon),
                Delta = parse.GetValue(delta),
                SampleRate = parse.GetValue(sampleRate),
                Steps = parse.GetValue(steps),
                Grid = ParseGrid(parse.GetValue(orders)),
                Conversion = ParseConversion(parse.GetValue(conversion)),
            };
            if (!NoiseCalibrator.TryCalibrate(options, out NoiseCalibration? result))
            {
                parse.InvocationConfiguration.Error.WriteLine(string.Create(s_invariant,
                    $"error: no noise multiplier in [{options.MinNoiseMultiplier:G6}, {options.MaxNoiseMultiplier:G6}] reaches ε = {options.TargetEpsilon:G6} at δ = {options.Delta:G6} with q = {options.SampleRate:G6} and {options.Steps} steps."));
                return 2;
            }

            TextWriter output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(WriteJson(writer => Json.Number(writer, "noise_multiplier", result.NoiseMultiplier)));
            }
            else
            {
                output.WriteLine(string.Create(s_invariant,
                    $"noise multiplier σ = {result.NoiseMultiplier:G10} (ε = {result.Guarantee.Epsilon:G10} ≤ {options.TargetEpsilon:G6} at δ = {options.Delta:G6}, optimal order α = {result.Guarantee.Order:G6}; q = {options.SampleRate:G6}, {options.Steps} steps; orders {options.Grid.Name}, conversion {RdpConverter.GetName(options.Conversion)})"));
                if (result.AtLowerBound)
                {
                    output.WriteLine("note: the lower end of the search bracket already meets the target; less noise may too.");
                }
            }

            return 0;
        });
        return command;
    }

    private static Option<double> SampleRateOption() => NumberOption(
        "--sample-rate",
        "-q",
        "Poisson sampling rate q (expected batch size over dataset size, or sites per round over sites); in (0, 1].",
        v => v > 0 && v <= 1,
        "a number in (0, 1]");

    private static Option<long> StepsOption()
    {
        Option<long> option = new("--steps", "-T") { Description = "Number of composed steps (DP-SGD steps or DP-FedAvg rounds); ≥ 1.", Required = true };
        option.CustomParser = result =>
        {
            string token = SingleToken(result);
            if (!long.TryParse(token, NumberStyles.Integer, s_invariant, out long value) || value < 1)
            {
                result.AddError($"--steps must be an integer of at least 1 (got '{token}').");
            }

            return value;
        };
        return option;
    }

    private static Option<double> DeltaOption() => NumberOption(
        "--delta",
        "-d",
        "δ of the (ε, δ) guarantee; in (0, 1), typically below 1/N.",
        v => v > 0 && v < 1,
        "a number in (0, 1)");

    // Parses with the invariant culture and checks the domain in one place, so a bad value gives one clear error.
    private static Option<double> NumberOption(string name, string alias, string description, Func<double, bool> valid, string expected)
    {
        Option<double> option = new(name, alias) { Description = description, Required = true };
        option.CustomParser = result =>
        {
            string token = SingleToken(result);
            if (!double.TryParse(token, NumberStyles.Float, s_invariant, out double value) || !valid(value))
            {
                result.AddError($"{name} must be {expected} (got '{token}').");
            }

            return value;
        };
        return option;
    }

    private static string SingleToken(ArgumentResult result) => result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(' ', result.Tokens.Select(t => t.Value));

    private static Option<string> OrdersOption()
    {
        Option<string> option = new("--orders")
        {
            Description = "Rényi order grid: opacus (opacus_default, 151 orders to 63), opacus-extended (+128…1024), dp-accounting (dp_accounting_default), integer (integer_2_128_256).",
            DefaultValueFactory = _ => "opacus_default",
        };
        option.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (!RdpOrderGrid.TryParse(value, out _))
            {
                result.AddError($"--orders: unknown grid '{value}'; expected one of {string.Join(", ", RdpOrderGrid.KnownNames)} (or opacus, opacus-extended, dp-accounting, integer).");
            }
        });
        return option;
    }

    private static Option<string> ConversionOption()
    {
        Option<string> option = new("--conversion")
        {
            Description = "RDP to (ε, δ) conversion: balle2020 (improved, default), classic, canonne2020_dpacc (dp_accounting's rules).",
            DefaultValueFactory = _ => "balle2020",
        };
        option.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (!RdpConverter.TryParse(value, out _))
            {
                result.AddError($"--conversion: unknown conversion '{value}'; expected balle2020 (improved), classic or canonne2020_dpacc.");
            }
        });
        return option;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print a JSON object instead of text." };

    private static RdpOrderGrid ParseGrid(string? name) =>
        RdpOrderGrid.TryParse(name, out RdpOrderGrid? grid) ? grid : throw new InvalidOperationException($"--orders '{name}' passed validation but is unknown.");

    private static RdpConversion ParseConversion(string? name) =>
        RdpConverter.TryParse(name, out RdpConversion conversion) ? conversion : throw new InvalidOperationException($"--conversion '{name}' passed validation but is unknown.");

    private static string WriteJson(Action<Utf8JsonWriter> write)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter writer = new(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
