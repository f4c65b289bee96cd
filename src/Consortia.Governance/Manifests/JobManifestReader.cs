using System.Security.Cryptography;
using System.Text;
using Consortia.Governance.Policies;
using Consortia.Governance.Yaml;
using YamlDotNet.RepresentationModel;

namespace Consortia.Governance.Manifests;

/// <summary>
/// Reads, from a job file (YAML), only the fields a site policy checks, and maps them to a <see cref="JobDescriptor"/>.
/// </summary>
/// <remarks>
/// The job file format belongs to the federation engine; this reader ignores every field it does not need and is
/// used where no engine is at hand (<c>consortia policy check</c>, compliance reports). The field mapping is
/// documented in <c>docs/policy.md</c>. Missing identity fields (consortium, owner, model, strategy) become empty
/// strings, which the evaluator refuses with a reason; fields of the wrong type are errors.
/// </remarks>
public static class JobManifestReader
{
    private static readonly YamlErrorFactory s_error = (file, line, column, field, problem) => new JobManifestException(file, line, column, field, problem);

    /// <summary>Parses job-file text.</summary>
    /// <param name="yaml">The job file text.</param>
    /// <param name="filePath">The name to use in errors.</param>
    /// <returns>The descriptor.</returns>
    /// <exception cref="JobManifestException">The text is not YAML or a read field has the wrong type.</exception>
    public static JobDescriptor Parse(string yaml, string filePath)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(filePath);
        YamlSection root = YamlSection.LoadRoot(filePath, yaml, s_error);
        YamlSection? model = root.OptionalSection("model");
        YamlSection? strategy = root.OptionalSection("strategy");
        YamlSection? privacy = root.OptionalSection("privacy");
        YamlSection? data = root.OptionalSection("data");
        YamlSection? training = root.OptionalSection("training");

        string strategyName = strategy?.OptionalString("kind") ?? strategy?.OptionalString("name") ?? string.Empty;
        long? rounds = root.OptionalInteger("rounds", 1, int.MaxValue) ?? training?.OptionalInteger("rounds", 1, int.MaxValue);
        return new JobDescriptor(
            JobId: root.RequiredString("name"),
            Consortium: root.OptionalString("consortium") ?? string.Empty,
            Owner: root.OptionalString("owner") ?? string.Empty,
            ModelKind: model?.OptionalString("kind")?.ToLowerInvariant() ?? string.Empty,
            Strategy: strategyName.ToLowerInvariant(),
            SecureAggregation: privacy is not null && ReadSecureAggregation(privacy),
            MinSitesPerAggregate: (int?)(root.OptionalInteger("min_sites", 1, int.MaxValue) ?? training?.OptionalInteger("min_participants", 1, int.MaxValue)),
            Dp: privacy is null ? null : ReadDp(privacy),
            Outputs: root.OptionalStringList("outputs") ?? [],
            Columns: data?.OptionalStringList("columns") ?? [])
        {
            Rounds = (int?)rounds,
        };
    }

    /// <summary>Reads a job file.</summary>
    /// <param name="path">The job file.</param>
    /// <returns>The descriptor.</returns>
    /// <exception cref="JobManifestException">The file is missing, unreadable or invalid.</exception>
    public static JobDescriptor Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            if (!File.Exists(path))
            {
                throw new JobManifestException(path, null, null, string.Empty, "the job file does not exist");
            }

            return Parse(File.ReadAllText(path, Encoding.UTF8), path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new JobManifestException(path, null, null, string.Empty, $"cannot read the job file: {error.Message}");
        }
    }

    /// <summary>The manifest hash recorded in ledgers and reports: SHA-256 of the UTF-8 encoding of the text, lowercase hex.</summary>
    /// <param name="manifestText">The job file text.</param>
    /// <returns>64 lowercase hex digits.</returns>
    public static string ComputeSha256(string manifestText)
    {
        ArgumentNullException.ThrowIfNull(manifestText);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifestText)));
    }

    private static bool ReadSecureAggregation(YamlSection privacy)
    {
        YamlNode? node = privacy.Node("secure_aggregation");
        return node switch
        {
            null => false,
            YamlMappingNode => privacy.RequiredSection("secure_aggregation").OptionalBoolean("enabled") ?? true,
            _ => privacy.ParseBoolean(node, privacy.FieldPath("secure_aggregation")),
        };
    }

    private static DpDescriptor? ReadDp(YamlSection privacy)
    {
        YamlSection? dp = privacy.OptionalSection("dp");
        if (dp is null || dp.OptionalBoolean("enabled") == false)
        {
            return null;
        }

        string modeText = dp.RequiredString("mode");
        if (!DpModeNames.TryParse(modeText, out DpMode mode))
        {
            throw dp.Error("mode", $"expected {DpModeNames.SampleLevel} or {DpModeNames.ClientLevel}, got '{modeText}'");
        }

        return new DpDescriptor(mode, dp.RequiredNumber("epsilon", 0, 1e6), dp.RequiredNumber("delta", 0, 1));
    }
}
