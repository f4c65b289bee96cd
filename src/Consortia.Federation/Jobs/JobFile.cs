using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Simulation.Profiles;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Federation.Strategies.Scheduling;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.DpSgd;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;
using Consortia.Yaml;
using YamlDotNet.RepresentationModel;

namespace Consortia.Federation.Jobs;

/// <summary>Reads and validates job files (YAML; the format is documented in <c>docs/job-file.md</c>).</summary>
public static partial class JobFile
{
    private static readonly Dictionary<string, DataFormat> s_formats = new(StringComparer.Ordinal)
    {
        ["csv"] = DataFormat.Csv,
        ["flamby-heart-disease"] = DataFormat.FlambyHeartDisease,
        ["flamby-tcga-brca"] = DataFormat.FlambyTcgaBrca,
    };

    private static readonly Dictionary<string, Standardization> s_standardizations = new(StringComparer.Ordinal)
    {
        ["none"] = Standardization.None,
        ["per-site"] = Standardization.PerSite,
        ["pooled"] = Standardization.Pooled,
    };

    // The unknown-field wording points at the documentation of every field.
    private const string UnknownField = "is not a known field here (check the spelling; see docs/job-file.md).";

    private static readonly Dictionary<string, ModelKind> s_models = new(StringComparer.Ordinal)
    {
        ["logistic"] = ModelKind.Logistic,
        ["mlp"] = ModelKind.Mlp,
        ["cox"] = ModelKind.CoxPh,
    };

    private static readonly Dictionary<string, OptimizerKind> s_optimizers = new(StringComparer.Ordinal)
    {
        ["sgd"] = OptimizerKind.Sgd,
        ["adam"] = OptimizerKind.Adam,
    };

    private static readonly Dictionary<string, StrategyKind> s_strategies = new(StringComparer.Ordinal)
    {
        ["fedavg"] = StrategyKind.FedAvg,
        ["fedprox"] = StrategyKind.FedProx,
        ["scaffold"] = StrategyKind.Scaffold,
        ["fedadam"] = StrategyKind.FedAdam,
        ["fedyogi"] = StrategyKind.FedYogi,
        ["fedadagrad"] = StrategyKind.FedAdagrad,
        ["fedavgm"] = StrategyKind.FedAvgM,
        ["cyclic"] = StrategyKind.Cyclic,
        ["qffl"] = StrategyKind.QFfl,
        ["median"] = StrategyKind.Median,
        ["trimmed-mean"] = StrategyKind.TrimmedMean,
        ["krum"] = StrategyKind.Krum,
        ["multi-krum"] = StrategyKind.MultiKrum,
    };

    private static FairnessSettings ReadFairness(YamlSection fairness)
    {
        IReadOnlyList<Data.Contracts.SensitiveVariable> groups = Data.Contracts.SensitiveVariable.Read(fairness.RequireSection("groups"));
        string? reweighting = fairness.Value("reweighting");
        if (reweighting is not null && !groups.Any(g => g.Name == reweighting))
        {
            throw fairness.Error("reweighting", $"'{reweighting}' is not one of the attributes under fairness.groups ({string.Join(", ", groups.Select(g => g.Name))}).");
        }

        FairnessSettings settings = new()
        {
            Groups = groups,
            Threshold = (float)(fairness.RealNumber("threshold", 0, 1) ?? 0.5),
            Reweighting = reweighting,
        };
        fairness.RejectUnreadKeys(UnknownField);
        return settings;
    }

    /// <summary>The job-file name of a strategy.</summary>
    /// <param name="kind">The strategy.</param>
    /// <returns>Its name, as used in job files and JSON output (e.g. <c>fedadam</c>).</returns>
    public static string NameOf(StrategyKind kind) => s_strategies.First(p => p.Value == kind).Key;

    /// <summary>Loads and validates a job file.</summary>
    /// <param name="path">The job file.</param>
    /// <returns>The job.</returns>
    /// <exception cref="JobFileException">The file is missing, not YAML, or a field is wrong (named with its line).</exception>
    public static JobDefinition Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new JobFileException(path, 0, 0, "", $"cannot read the job file: {error.Message}", error);
        }

        return Parse(text, path);
    }

    /// <summary>Parses and validates job YAML.</summary>
    /// <param name="text">The YAML text.</param>
    /// <param name="path">The file name used in errors and to resolve relative data paths.</param>
    /// <returns>The job.</returns>
    /// <exception cref="JobFileException">A field is wrong (named with its line).</exception>
    public static JobDefinition Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        // Parsing (size limit, one document, a mapping at the top) is Consortia.Yaml's; the fields are read here.
        YamlSection job = YamlSection.LoadRoot(path, text, (file, line, column, field, problem) =>
            new JobFileException(file, (int)(line ?? 0), (int)(column ?? 0), field, problem));
        int? version = job.WholeNumber("version", 1);
        if (version is > 1)
        {
            throw job.Error("version", $"this Consortia reads job files of version 1, got {version}.");
        }

        string name = job.RequireValue("name");
        ulong seed = job.LargeWholeNumber("seed") ?? 42;
        string? declaredConsortium = job.Value("consortium");
        if (declaredConsortium is not null && !Governance.Roster.ConsortiumName.IsValid(declaredConsortium))
        {
            throw job.Error("consortium", $"'{declaredConsortium}' is not a consortium name; expected {Governance.Roster.ConsortiumName.Expected}.");
        }

        string consortium = declaredConsortium ?? JobDefinition.DefaultConsortium;
        string owner = job.Value("owner") ?? "unspecified";
        string? purpose = job.Value("purpose");
        YamlSection dataSection = job.RequireSection("data");
        IReadOnlyList<string> columns = dataSection.List("columns")?.Select(c => c.Value).ToArray() ?? [];
        DataSourceOptions data = ReadData(dataSection);
        (ModelKind kind, int[] hidden, float l2) = ReadModel(job.RequireSection("model"));
        YamlSection trainingSection = job.RequireSection("training");
        int rounds = trainingSection.WholeNumber("rounds", 1) ?? throw trainingSection.MappingError(trainingSection.FieldPath("rounds"), "is required.");
        int minParticipants = trainingSection.WholeNumber("min_participants", 1) ?? 1;
        LocalTrainingOptions training = ReadTraining(trainingSection, null);
        trainingSection.RejectUnreadKeys(UnknownField);

        StrategySettings strategy = new();
        if (job.Section("strategy") is { } strategySection)
        {
            StrategyKind strategyKind = strategySection.Enum("kind", s_strategies) ?? StrategyKind.FedAvg;
            double? mu = strategySection.RealNumber("mu", 0);
            if (mu is not null && strategyKind != StrategyKind.FedProx)
            {
                throw strategySection.Error("mu", "only fedprox takes a proximal coefficient.");
            }

            training = training with { ProximalMu = (float)(mu ?? (strategyKind == StrategyKind.FedProx ? 0.01 : 0)) };
            double? q = strategySection.RealNumber("q", 0, 100);
            if (q is not null && strategyKind != StrategyKind.QFfl)
            {
                throw strategySection.Error("q", "only qffl takes a fairness exponent q.");
            }

            if (strategyKind == StrategyKind.QFfl)
            {
                training = training with { FairnessQ = (float)(q ?? 1.0) };
            }
            strategy = new StrategySettings
            {
                Kind = strategyKind,
                FractionFit = strategySection.RealNumber("fraction_fit", 0, 1, minExclusive: true) ?? 1.0,
                ServerLearningRate = strategySection.RealNumber("server_learning_rate", 0, minExclusive: true),
                Beta1 = strategySection.RealNumber("beta1", 0, 0.999999) ?? 0.9,
                Beta2 = strategySection.RealNumber("beta2", 0, 0.999999) ?? 0.999,
                Tau = strategySection.RealNumber("tau", 0, minExclusive: true) ?? 1e-8,
                ServerMomentum = strategySection.RealNumber("server_momentum", 0, 0.999999) ?? 0.9,
                TrimFraction = strategySection.RealNumber("trim_fraction", 0, 0.499999) ?? 0.1,
                ByzantineSites = strategySection.WholeNumber("byzantine_sites", 0) ?? 1,
                MultiKrumSelect = strategySection.WholeNumber("multi_krum_select", 1),
                ShuffleEachCycle = strategySection.Bool("shuffle") ?? true,
                NormBound = string.Equals(strategySection.Value("norm_bound"), "median", StringComparison.Ordinal) ? null : strategySection.RealNumber("norm_bound", 0, minExclusive: true),
                NormBoundAtMedian = string.Equals(strategySection.Value("norm_bound"), "median", StringComparison.Ordinal),
            };
            strategySection.RejectUnreadKeys(UnknownField);
            try
            {
                strategy.Create(training);
            }
            catch (ArgumentException error)
            {
                throw new JobFileException(path, (int)strategySection.Line, (int)strategySection.Column, "strategy", error.Message, error);
            }
        }

        SecureAggregationSettings? secureAggregation = null;
        DpSgdOptions? dp = null;
        ClientLevelDpOptions? clientDp = null;
        bool trustedCoordinator = false;
        if (job.Section("privacy") is { } privacy)
        {
            secureAggregation = ReadSecureAggregation(privacy);
            (dp, clientDp) = ReadDp(privacy, out trustedCoordinator);
            if (clientDp is not null && !s_clientLevelStrategies.Contains(strategy.Kind))
            {
                YamlSection dpSection = privacy.RequireSection("dp");
                throw dpSection.Error("mode",
                    $"client-level DP wraps a strategy that works from the sum of updates and sends nothing else (fedavg, fedprox, fedadam, fedyogi, fedadagrad, fedavgm); '{NameOf(strategy.Kind)}' {(strategy.Kind == StrategyKind.Scaffold ? "also sends control variates, which would be neither clipped nor noised" : strategy.Kind == StrategyKind.Cyclic ? "trains one site at a time in a fixed order, which gives no sampling to account for" : "needs every site's individual update")}.");
            }

            if (clientDp is not null && (strategy.NormBound is not null || strategy.NormBoundAtMedian))
            {
                throw privacy.RequireSection("dp").Error("mode", "client-level DP already bounds every site's update (privacy.dp.clip), at the sites; drop strategy.norm_bound.");
            }

            if (dp is not null && kind == ModelKind.CoxPh)
            {
                throw privacy.RequireSection("dp").Error("mode", CoxSampleLevelRule);
            }

            if (privacy.Get("site_budget") is not null)
            {
                throw privacy.Error("site_budget", "a job cannot set a site's lifetime privacy budget (rule dp-budget-from-site): each site sets its own, in its policy (protections.differential_privacy.lifetime_epsilon_budget and delta, which simulated sites also use) or in its node configuration (budget:); see docs/policy.md.");
            }

            privacy.RejectUnreadKeys(UnknownField);
            if (secureAggregation is not null && strategy.Create(training).Traits.NeedsIndividualUpdates)
            {
                throw privacy.Error("secure_aggregation",
                    $"strategy '{NameOf(strategy.Kind)}' needs every site's individual update, which secure aggregation never reveals; use a sum-based strategy (fedavg, fedprox, scaffold, fedadam, fedyogi, fedadagrad, fedavgm, cyclic) or turn secure aggregation off.");
            }
        }

        IReadOnlyList<MetricKind>? metrics = null;
        int every = 1;
        if (job.Section("evaluation") is { } evaluation)
        {
            metrics = evaluation.List("metrics") is { } list
                ? [.. list.Select(m => MetricKindExtensions.TryParseReportName(m.Value, out MetricKind k) ? k : throw evaluation.Error(m.Node, evaluation.FieldPath("metrics"), $"unknown metric '{m.Value}'; expected one of {string.Join(", ", Enum.GetValues<MetricKind>().Select(x => x.ReportName()))}."))]
                : null;
            every = evaluation.WholeNumber("every", 1) ?? 1;
            evaluation.RejectUnreadKeys(UnknownField);
        }

        BaselineOptions? baselines = null;
        if (job.Section("baselines") is { } baselineSection)
        {
            baselines = new BaselineOptions(
                baselineSection.Bool("local") ?? false,
                baselineSection.Bool("pooled") ?? false,
                ReadTraining(baselineSection, training with { ProximalMu = 0 }));
            baselineSection.RejectUnreadKeys(UnknownField);
        }

        Dictionary<string, string>? policies = null;
        if (job.Section("policies") is { } policySection)
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            policies = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string site in policySection.Keys)
            {
                policies[site] = Path.GetFullPath(policySection.RequireValue(site), folder);
            }
        }

        FairnessSettings? fairness = job.Section("fairness") is { } fairnessSection ? ReadFairness(fairnessSection) : null;
        if (fairness?.Reweighting is not null && dp is not null)
        {
            // Reweighting copies records (up to 20 times: ReweightingSumCheck.MaximumWeight), and DP-SGD clips each row:
            // a patient copied k times would move the update k times as far as the accounting assumes.
            throw job.RequireSection("fairness").Error("reweighting",
                "group reweighting copies training records, and sample-level DP (privacy.dp) bounds each training row, not each patient: a patient copied k times would get about k times the ε the accounting reports. Use client-level DP (privacy.dp.mode: client-level), which bounds each site's whole update, or drop one of the two.");
        }

        SchedulingOptions? scheduling = ReadScheduling(job, training);
        if (scheduling is not null && clientDp is not null)
        {
            throw job.Error("scheduling", "client-level DP accounts for random (Poisson) selection of sites; scheduling chooses sites by deadline and speed, which that accounting does not cover. Remove one of the two.");
        }

        if (scheduling?.Buffer is < 3 && secureAggregation is not null)
        {
            throw job.Error("scheduling", $"buffer: {scheduling.Buffer}: under secure aggregation each buffer is one secure-aggregation session, which needs at least 3 sites; set buffer to 3 or more.");
        }

        (SimulationProfiles? profiles, IReadOnlyList<MaliciousSite> malicious) = ReadSimulation(job);
        PersonalisationSettings? personalisation = job.Section("personalisation") is { } personalSection ? ReadPersonalisation(personalSection) : null;
        job.RejectUnreadKeys(UnknownField);
        JobDefinition definition = new()
        {
            Name = name,
            Consortium = consortium,
            NamesConsortium = declaredConsortium is not null,
            Owner = owner,
            Purpose = purpose,
            Seed = seed,
            Data = data,
            ModelKind = kind,
            HiddenLayers = [.. hidden],
            L2 = l2,
            Engine = new RoundEngineOptions
            {
                Rounds = rounds,
                EvaluateEvery = every,
                MinimumParticipants = minParticipants,
                JobName = name,
                SecureAggregation = secureAggregation,
                Dp = dp is null ? null : new SiteDpSettings(dp, name, rounds),
            },
            ClientDp = clientDp is null ? null : new ClientDpSettings(clientDp, name, rounds)
            {
                TrustedCoordinator = trustedCoordinator,
                SecureAggregation = secureAggregation,
                MinimumParticipants = minParticipants,
            },
            Columns = columns,
            Policies = policies,
            Strategy = strategy,
            Training = training,
            Metrics = metrics,
            Baselines = baselines,
            Fairness = fairness,
            Scheduling = scheduling,
            Profiles = profiles,
            Personalisation = personalisation,
            Malicious = malicious,
            SourcePath = Path.GetFullPath(path),
            SourceText = text,
        };
        return definition;
    }

    private static readonly Dictionary<string, PersonalisationMethod> s_personalisations = new(StringComparer.Ordinal)
    {
        ["ditto"] = PersonalisationMethod.Ditto,
        ["fine-tune"] = PersonalisationMethod.FineTune,
    };

    private static readonly Dictionary<string, AttackKind> s_attacks = new(StringComparer.Ordinal)
    {
        ["sign-flip"] = AttackKind.SignFlip,
        ["scale"] = AttackKind.Scale,
        ["label-flip"] = AttackKind.LabelFlip,
    };

    private static PersonalisationSettings ReadPersonalisation(YamlSection section)
    {
        PersonalisationMethod method = section.Enum("method", s_personalisations)
            ?? throw section.MappingError(section.FieldPath("method"), $"is required: one of {string.Join(", ", s_personalisations.Keys)}.");
        double? lambda = section.RealNumber("lambda", 0);
        if (lambda is not null && method != PersonalisationMethod.Ditto)
        {
            throw section.Error("lambda", "only ditto takes λ (the pull of the personal model toward the global one).");
        }

        PersonalisationSettings settings = new()
        {
            Method = method,
            Lambda = lambda ?? 0.1,
            LocalSteps = section.WholeNumber("local_steps", 1),
            LearningRate = section.RealNumber("learning_rate", 0, minExclusive: true) is { } rate ? (float)rate : null,
        };
        section.RejectUnreadKeys(UnknownField);
        try
        {
            settings.Validate();
        }
        catch (ArgumentException error)
        {
            throw new JobFileException(section.FilePath, (int)section.Line, (int)section.Column, section.Path, error.Message, error);
        }

        return settings;
    }

    /// <summary>The <c>simulation:</c> section's poisoning drill (<c>malicious:</c>); deployed nodes ignore the section.</summary>
    private static MaliciousSite[] ReadMalicious(YamlSection section)
    {
        List<MaliciousSite> sites = [];
        foreach (YamlSection entry in section.OptionalSectionList("malicious") ?? [])
        {
            AttackKind attack = entry.Enum("attack", s_attacks)
                ?? throw entry.MappingError(entry.FieldPath("attack"), $"is required: one of {string.Join(", ", s_attacks.Keys)}.");
            double? factor = entry.RealNumber("factor", 0, minExclusive: true);
            if (factor is not null && attack == AttackKind.LabelFlip)
            {
                throw entry.Error("factor", "label-flip takes no factor (it flips every training label).");
            }

            MaliciousSite site = new(entry.RequireValue("site"), attack, factor ?? (attack == AttackKind.Scale ? 10.0 : 1.0));
            if (sites.Any(s => string.Equals(s.Site, site.Site, StringComparison.Ordinal)))
            {
                throw entry.Error("site", $"site '{site.Site}' is listed twice.");
            }

            entry.RejectUnreadKeys(UnknownField);
            sites.Add(site);
        }

        return [.. sites];
    }

    /// <summary>Why DP-SGD is refused for the Cox model (rule <c>dp-sgd-cox</c>).</summary>
    internal const string CoxSampleLevelRule =
        "sample-level DP-SGD is refused for model.kind: cox (rule dp-sgd-cox): the Cox partial likelihood couples every record of a risk set, so one record's clipped share of a batch gradient is not bounded by the clip norm (measured up to 27.7·C with one adversarial record) and the noise would not cover it; use mode: client-level (a site's whole clipped update is the unit), or a logistic or mlp model.";

    private static readonly Dictionary<string, BatchSampling> s_samplings = new(StringComparer.Ordinal)
    {
        ["poisson"] = BatchSampling.Poisson,
        ["fixed-size"] = BatchSampling.FixedSize,
    };

    private static readonly HashSet<StrategyKind> s_clientLevelStrategies =
        [StrategyKind.FedAvg, StrategyKind.FedProx, StrategyKind.FedAdam, StrategyKind.FedYogi, StrategyKind.FedAdagrad, StrategyKind.FedAvgM];

    private static (DpSgdOptions? SampleLevel, ClientLevelDpOptions? ClientLevel) ReadDp(YamlSection privacy, out bool trustedCoordinator)
    {
        trustedCoordinator = false;
        if (privacy.Section("dp") is not { } section)
        {
            return (null, null);
        }

        string mode = section.Value("mode") ?? "sample-level";
        switch (mode)
        {
            case "sample-level":
                return (ReadSampleLevel(section), null);
            case "client-level":
                // With secure aggregation the sites add the noise (distributed DP) unless the job trusts the coordinator to.
                trustedCoordinator = section.Bool("trusted_coordinator") ?? false;
                return (null, ReadClientLevel(section));
            default:
                throw section.Error("mode", $"expected sample-level (DP-SGD at each site) or client-level (DP-FedAvg), got '{mode}'.");
        }
    }

    private static ClientLevelDpOptions ReadClientLevel(YamlSection section)
    {
        AdaptiveClippingOptions? adaptive = null;
        double? initialClip = null;
        if (section.Section("adaptive") is { } adaptiveSection)
        {
            bool enabled = adaptiveSection.Bool("enabled") ?? true;
            initialClip = adaptiveSection.RealNumber("initial_clip", 0, minExclusive: true);
            AdaptiveClippingOptions read = new()
            {
                TargetQuantile = adaptiveSection.RealNumber("target_quantile", 0, 1, minExclusive: true) ?? 0.5,
                LearningRate = adaptiveSection.RealNumber("learning_rate", 0, minExclusive: true) ?? 0.2,
                BitNoise = adaptiveSection.RealNumber("bit_noise", 0, minExclusive: true),
            };
            if (read.TargetQuantile >= 1)
            {
                throw adaptiveSection.Error("target_quantile", $"expected a value in (0, 1), got {read.TargetQuantile}.");
            }

            adaptiveSection.RejectUnreadKeys(UnknownField);
            if (initialClip is not null && section.Get("clip") is not null)
            {
                throw adaptiveSection.Error("initial_clip", "set either privacy.dp.clip or privacy.dp.adaptive.initial_clip (the starting bound), not both.");
            }

            adaptive = enabled ? read : null;
        }

        ClientLevelDpOptions options = new()
        {
            // Andrew et al. start adaptive clipping at C₀ = 0.1; a fixed bound defaults to 1 as for DP-SGD.
            ClipNorm = section.RealNumber("clip", 0, minExclusive: true) ?? initialClip ?? (adaptive is null ? 1.0 : 0.1),
            NoiseMultiplier = section.RealNumber("noise_multiplier", 0, minExclusive: true),
            TargetEpsilon = section.RealNumber("epsilon", 0, minExclusive: true),
            Delta = section.RealNumber("delta", 0, 1, minExclusive: true) ?? 1e-5,
            Adaptive = adaptive,
            Mechanism = section.Value("mechanism") switch
            {
                null or "discrete-gaussian" => Privacy.Distributed.DistributedMechanism.DiscreteGaussian,
                "skellam" => Privacy.Distributed.DistributedMechanism.Skellam,
                string other => throw section.Error("mechanism", $"expected discrete-gaussian (the default: exact, O(1) per coordinate) or skellam (exact, cost grows with the noise variance), got '{other}'."),
            },
        };
        if (section.Get("sampling") is not null)
        {
            throw section.Error("sampling", "client-level DP samples sites, not records: strategy.fraction_fit sets the site-sampling rate q.");
        }

        section.RejectUnreadKeys(UnknownField);
        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw new JobFileException(section.FilePath, (int)section.Line, (int)section.Column, section.Path, error.Message, error);
        }

        return options;
    }

    private static DpSgdOptions ReadSampleLevel(YamlSection section)
    {

        DpSgdOptions options = new()
        {
            ClipNorm = section.RealNumber("clip", 0, minExclusive: true) ?? 1.0,
            NoiseMultiplier = section.RealNumber("noise_multiplier", 0, minExclusive: true),
            TargetEpsilon = section.RealNumber("epsilon", 0, minExclusive: true),
            Delta = section.RealNumber("delta", 0, 1, minExclusive: true) ?? 1e-5,
            Sampling = section.Enum("sampling", s_samplings) ?? BatchSampling.Poisson,
        };
        if (options.Sampling != BatchSampling.Poisson)
        {
            throw section.Error("sampling", DpSgdOptions.PoissonSamplingRule);
        }

        section.RejectUnreadKeys(UnknownField);
        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw new JobFileException(section.FilePath, (int)section.Line, (int)section.Column, section.Path, error.Message, error);
        }

        return options;
    }

    private static SecureAggregationSettings? ReadSecureAggregation(YamlSection privacy)
    {
        YamlNode? node = privacy.Get("secure_aggregation");
        switch (node)
        {
            case null:
                return null;
            case YamlScalarNode:
                return privacy.Bool("secure_aggregation") == true ? new SecureAggregationSettings() : null;
            case not null when privacy.IsMapping("secure_aggregation"):
                YamlSection section = privacy.RequireSection("secure_aggregation");
                bool enabled = section.Bool("enabled") ?? true;
                SecureAggregationSettings settings = new()
                {
                    ClipRange = section.RealNumber("clip_range", 0, minExclusive: true) ?? 10_000,
                    Threshold = section.WholeNumber("threshold", 2),
                    Neighbours = section.WholeNumber("neighbours", 2),
                    DropoutFraction = section.RealNumber("dropout", 0, 0.499999) ?? 0.1,
                    StageTimeout = section.RealNumber("stage_timeout_seconds", 0, minExclusive: true) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                };
                section.RejectUnreadKeys(UnknownField);
                return enabled ? settings : null;
            default:
                throw privacy.Error(node, privacy.FieldPath("secure_aggregation"), "expected true, false or a mapping (enabled, clip_range, threshold, neighbours, dropout).");
        }
    }

    private static DataSourceOptions ReadData(YamlSection section)
    {
        DataFormat format = section.Enum("format", s_formats) ?? DataFormat.Csv;
        DataSourceOptions options = new()
        {
            Format = format,
            Path = section.RequireValue("path"),
            Contract = section.Value("contract"),
            SiteColumn = section.Value("site_column"),
            SplitColumn = section.Value("split_column"),
            TestFraction = section.RealNumber("test_fraction", 0, 1, minExclusive: true) ?? 0.25,
            SplitSeed = section.LargeWholeNumber("split_seed") ?? 43,
            Standardization = section.Enum("standardization", s_standardizations) ?? Standardization.PerSite,
        };
        section.RejectUnreadKeys(UnknownField);
        try
        {
            options.Validate();
        }
        catch (DataConfigurationException error)
        {
            throw new JobFileException(section.FilePath, (int)section.Line, (int)section.Column, section.Path, error.Message, error);
        }

        return options;
    }

    private static (ModelKind Kind, int[] Hidden, float L2) ReadModel(YamlSection section)
    {
        ModelKind kind = section.Enum("kind", s_models) ?? throw section.MappingError(section.FieldPath("kind"), $"is required: one of {string.Join(", ", s_models.Keys)}.");
        int[] hidden = section.List("hidden") is { } layers
            ? [.. layers.Select(l => int.TryParse(l.Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int w) && w > 0 ? w : throw section.Error(l.Node, section.FieldPath("hidden"), $"expected positive layer widths, got '{l.Value}'."))]
            : [];
        if (kind == ModelKind.Mlp && hidden.Length == 0)
        {
            throw section.MappingError(section.FieldPath("hidden"), "an mlp needs hidden layer widths, e.g. hidden: [64].");
        }

        if (kind != ModelKind.Mlp && hidden.Length > 0)
        {
            throw section.Error("hidden", $"only an mlp has hidden layers, not a {kind} model.");
        }

        float l2 = (float)(section.RealNumber("l2", 0) ?? 0);
        section.RejectUnreadKeys(UnknownField);
        return (kind, hidden, l2);
    }

    private static LocalTrainingOptions ReadTraining(YamlSection section, LocalTrainingOptions? defaults)
    {
        LocalTrainingOptions options = defaults ?? new LocalTrainingOptions();
        int? steps = defaults is null ? section.WholeNumber("local_steps", 1) : null;
        int? epochs = section.WholeNumber(defaults is null ? "local_epochs" : "epochs", 1);
        if (defaults is not null && epochs is null)
        {
            throw section.MappingError(section.FieldPath("epochs"), "is required: how many passes over its data each baseline model trains.");
        }

        if (steps is not null && epochs is not null)
        {
            throw section.Error("local_steps", "set either local_steps or local_epochs, not both.");
        }

        OptimizerOptions optimizer = options.Optimizer;
        if (section.Section("optimizer") is { } opt)
        {
            optimizer = new OptimizerOptions
            {
                Kind = opt.Enum("kind", s_optimizers) ?? OptimizerKind.Sgd,
                LearningRate = (float)(opt.RealNumber("learning_rate", 0, minExclusive: true) ?? 0.01),
                Momentum = (float)(opt.RealNumber("momentum", 0, 0.999999) ?? 0),
                Beta1 = (float)(opt.RealNumber("beta1", 0, 0.999999) ?? 0.9),
                Beta2 = (float)(opt.RealNumber("beta2", 0, 0.999999) ?? 0.999),
                Epsilon = (float)(opt.RealNumber("epsilon", 0, minExclusive: true) ?? 1e-8),
            };
            opt.RejectUnreadKeys(UnknownField);
        }

        return options with
        {
            BatchSize = section.WholeNumber("batch_size", 1) ?? options.BatchSize,
            Threads = section.WholeNumber("threads", 1) ?? options.Threads,
            LocalSteps = epochs is not null ? null : steps ?? options.LocalSteps,
            LocalEpochs = epochs ?? options.LocalEpochs,
            Optimizer = optimizer,
        };
    }
}
