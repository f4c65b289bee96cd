using Consortia.Data.Contracts;
using Consortia.Data.Csv;
using Consortia.Data.Flamby;

namespace Consortia.Data;

/// <summary>Loads a <see cref="FederatedDataset"/> from the source a job's <c>data:</c> section describes.</summary>
public static class FederatedDataLoader
{
    /// <summary>Validates the options, reads and checks the files, and preprocesses them into sites.</summary>
    /// <param name="options">The data source.</param>
    /// <param name="baseDirectory">The directory relative paths in <paramref name="options"/> are resolved against (usually the job file's).</param>
    /// <returns>The sites and the pooled data.</returns>
    /// <exception cref="DataConfigurationException">The options, a path or a contract is wrong.</exception>
    /// <exception cref="DataValidationException">A data file breaks its contract; every problem is listed with file, line and column.</exception>
    /// <remarks>Deterministic: the same files and options give the same datasets.</remarks>
    public static FederatedDataset Load(DataSourceOptions options, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        options.Validate();
        string root = Path.GetFullPath(baseDirectory);
        string path = Path.GetFullPath(options.Path, root);
        DataContract? contract = options.Format != DataFormat.Csv && options.Contract is { } custom
            ? DataContract.Load(Path.GetFullPath(custom, root))
            : null;

        return options.Format switch
        {
            DataFormat.Csv => CsvFederatedLoader.Load(options, path, Path.GetFullPath(options.Contract!, root)), // Validate() requires a contract for CSV.
            DataFormat.FlambyHeartDisease => FlambyHeartDisease.Load(path, options.Standardization, contract),
            DataFormat.FlambyTcgaBrca => FlambyTcgaBrca.Load(path, contract, options.Standardization),
            _ => throw new DataConfigurationException(null, null, nameof(DataSourceOptions.Format), $"unknown format {options.Format}."),
        };
    }
}
