using Consortia.Federation.Simulation.Profiles;
using Consortia.Federation.Strategies.Scheduling;
using Consortia.Learning.Training;
using Consortia.Yaml;
using YamlDotNet.RepresentationModel;

namespace Consortia.Federation.Jobs;

/// <summary>The <c>scheduling:</c> and <c>simulation.profiles</c> sections (docs/job-file.md).</summary>
public static partial class JobFile
{
    private static SchedulingOptions? ReadScheduling(YamlSection job, LocalTrainingOptions training)
    {
        if (job.Section("scheduling") is not { } section)
        {
            return null;
        }

        SchedulingOptions options = new()
        {
            Fraction = section.RealNumber("fraction", 0, 1, minExclusive: true) ?? 1.0,
            MinimumSites = section.WholeNumber("min_sites", 1) ?? 1,
            StratifyBySize = section.Bool("stratify_by_size") ?? false,
            Strata = section.WholeNumber("strata", 1) ?? 3,
            Deadline = section.RealNumber("deadline_seconds", 0, minExclusive: true) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            OverSelection = section.RealNumber("over_selection", 0, 10) ?? 0,
            CapacitySizedWork = section.Bool("capacity_sized_work") ?? false,
            WorkShare = section.RealNumber("work_share", 0, 1, minExclusive: true) ?? 0.8,
            Buffer = section.WholeNumber("buffer", 1),
        };
        section.RejectUnreadKeys(UnknownField);
        if (options.CapacitySizedWork && training.LocalSteps is null)
        {
            throw section.Error("capacity_sized_work", "work is sized in local steps; set training.local_steps.");
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw section.Error("capacity_sized_work", error.Message);
        }

        return options;
    }

    private static (SimulationProfiles? Profiles, MaliciousSite[] Malicious) ReadSimulation(YamlSection job)
    {
        if (job.Section("simulation") is not { } simulation)
        {
            return (null, []);
        }

        SimulationProfiles? profiles = null;
        if (simulation.Section("profiles") is { } section)
        {
            Dictionary<string, SiteProfileSettings> sites = new(StringComparer.Ordinal);
            foreach (string site in section.Keys.ToArray())
            {
                sites[site] = ReadProfile(section.RequireSection(site));
            }

            profiles = new SimulationProfiles(sites);
        }

        MaliciousSite[] malicious = ReadMalicious(simulation);
        simulation.RejectUnreadKeys(UnknownField);
        return (profiles, malicious);
    }

    private static SiteProfileSettings ReadProfile(YamlSection section)
    {
        List<OfflineWindow> offline = [];
        foreach ((string value, YamlNode node) in section.List("offline") ?? [])
        {
            offline.Add(OfflineWindow.TryParse(value, out OfflineWindow window)
                ? window
                : throw section.Error(node, section.FieldPath("offline"), $"expected a daily window HH:MM-HH:MM (UTC), got '{value}'."));
        }

        SiteProfileSettings settings = new()
        {
            Speed = ReadRange(section, "speed") ?? ProfileRange.Fixed(1_000),
            LatencyMilliseconds = ReadRange(section, "latency_ms", allowZero: true) ?? ProfileRange.Fixed(50),
            BandwidthMbps = ReadRange(section, "bandwidth_mbps") ?? ProfileRange.Fixed(100),
            Dropout = section.RealNumber("dropout", 0, 0.99) ?? 0,
            Offline = offline,
        };
        section.RejectUnreadKeys(UnknownField);
        return settings;
    }

    /// <summary>A number, or a mapping <c>{min, max}</c> drawn log-uniformly per site.</summary>
    private static ProfileRange? ReadRange(YamlSection section, string key, bool allowZero = false)
    {
        if (section.IsMapping(key))
        {
            YamlSection range = section.RequireSection(key);
            double min = range.RealNumber("min", 0, minExclusive: !allowZero) ?? throw range.MappingError(range.FieldPath("min"), "is required.");
            double max = range.RealNumber("max", min) ?? throw range.MappingError(range.FieldPath("max"), "is required.");
            range.RejectUnreadKeys(UnknownField);
            return new ProfileRange(min, max);
        }

        return section.RealNumber(key, 0, minExclusive: !allowZero) is { } value ? ProfileRange.Fixed(value) : null;
    }
}
