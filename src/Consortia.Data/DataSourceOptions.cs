using System.Globalization;

namespace Consortia.Data;

/// <summary>Where a federated dataset comes from and how it is preprocessed; bound from a job file's <c>data:</c> section.</summary>
/// <remarks>Call <see cref="Validate"/> when the job is loaded, before any file is read.</remarks>
public sealed record DataSourceOptions
{
    /// <summary>The layout of the source.</summary>
    public required DataFormat Format { get; init; }

    /// <summary>
    /// The CSV file (<see cref="DataFormat.Csv"/>) or the dataset directory (FLamby presets); a relative
    /// path is resolved against the base directory given to <see cref="FederatedDataLoader.Load"/>.
    /// </summary>
    public required string Path { get; init; }

    /// <summary>The data-contract YAML file; relative paths are resolved like <see cref="Path"/>.</summary>
    /// <value>
    /// Required for <see cref="DataFormat.Csv"/>. For the FLamby presets <see langword="null"/> (the default)
    /// means the contract shipped with Consortia (<c>data/contracts/heart-disease-uci.yaml</c>,
    /// <c>data/contracts/tcga-brca.yaml</c>); a path replaces it for the main data file.
    /// </value>
    public string? Contract { get; init; }

    /// <summary>The column whose values name the sites (natural split).</summary>
    /// <value>Required for <see cref="DataFormat.Csv"/>; must be <see langword="null"/> for the FLamby presets, whose sites are fixed.</value>
    public string? SiteColumn { get; init; }

    /// <summary>The column whose values (<c>train</c> / <c>test</c>) assign each row to a fold.</summary>
    /// <value>
    /// <see langword="null"/> by default: each site is split by a seeded split stratified on the label
    /// (<see cref="TestFraction"/>, <see cref="SplitSeed"/>). Only for <see cref="DataFormat.Csv"/>: the
    /// FLamby presets use their shipped split files.
    /// </value>
    public string? SplitColumn { get; init; }

    /// <summary>The fraction of each site's rows held out for testing when there is no split column.</summary>
    /// <value>0.25 by default; must lie strictly between 0 and 1. The test part gets <c>ceil(fraction × n)</c> rows.</value>
    public double TestFraction { get; init; } = 0.25;

    /// <summary>The seed of the stratified train/test split when there is no split column.</summary>
    /// <value>43 by default (FLamby's <c>random_state</c>).</value>
    public ulong SplitSeed { get; init; } = 43;

    /// <summary>How features are standardised.</summary>
    /// <value>
    /// <see cref="Standardization.PerSite"/> by default, which is FLamby's choice for Fed-Heart-Disease.
    /// <see cref="DataFormat.FlambyTcgaBrca"/> feeds the features unscaled, as FLamby does, under
    /// <see cref="Standardization.PerSite"/> and <see cref="Standardization.None"/>;
    /// <see cref="Standardization.Pooled"/> standardises its sites with the pooled training statistics.
    /// </value>
    public Standardization Standardization { get; init; } = Standardization.PerSite;

    /// <summary>Checks the options without touching the file system.</summary>
    /// <exception cref="DataConfigurationException">A field is missing or out of range; the message names it and says what was expected.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Format))
        {
            throw Bad(nameof(Format), $"expected one of {string.Join(", ", Enum.GetNames<DataFormat>())}, got {Format}.");
        }

        if (!Enum.IsDefined(Standardization))
        {
            throw Bad(nameof(Standardization), $"expected one of {string.Join(", ", Enum.GetNames<Standardization>())}, got {Standardization}.");
        }

        if (string.IsNullOrWhiteSpace(Path))
        {
            throw Bad(nameof(Path), Format == DataFormat.Csv ? "expected the path of the CSV file." : "expected the path of the dataset directory.");
        }

        if (Contract is not null && string.IsNullOrWhiteSpace(Contract))
        {
            throw Bad(nameof(Contract), "expected the path of a data-contract YAML file, got an empty string.");
        }

        if (double.IsNaN(TestFraction) || TestFraction <= 0.0 || TestFraction >= 1.0)
        {
            throw Bad(nameof(TestFraction), string.Create(CultureInfo.InvariantCulture, $"expected a fraction strictly between 0 and 1, got {TestFraction}."));
        }

        if (Format == DataFormat.Csv)
        {
            if (Contract is null)
            {
                throw Bad(nameof(Contract), "a CSV source needs a data contract (a YAML file describing its columns).");
            }

            if (string.IsNullOrWhiteSpace(SiteColumn))
            {
                throw Bad(nameof(SiteColumn), "a CSV source needs the name of the column that says which site each row belongs to.");
            }

            if (SplitColumn is not null && string.IsNullOrWhiteSpace(SplitColumn))
            {
                throw Bad(nameof(SplitColumn), "expected a column name or no value, got an empty string.");
            }

            if (SplitColumn is not null && string.Equals(SplitColumn, SiteColumn, StringComparison.Ordinal))
            {
                throw Bad(nameof(SplitColumn), "the split column must differ from the site column.");
            }

            return;
        }

        if (SiteColumn is not null)
        {
            throw Bad(nameof(SiteColumn), $"the {Format} preset has fixed sites; leave the site column unset.");
        }

        if (SplitColumn is not null)
        {
            throw Bad(nameof(SplitColumn), $"the {Format} preset uses its shipped split file; leave the split column unset.");
        }
    }

    private static DataConfigurationException Bad(string field, string problem) =>
        new(file: null, line: null, field, problem);
}
