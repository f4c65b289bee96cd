namespace Consortia.Federation.Jobs.Store;

/// <summary>Where the coordinator keeps its state and how many checkpoints it keeps.</summary>
public sealed record SqliteJobStoreOptions
{
    /// <summary>The SQLite file (created with its schema if missing).</summary>
    public required string Path { get; init; }

    /// <summary>Checkpoints kept per job: the newest this-many are kept, older ones are deleted in the same transaction that commits a round; <see langword="null"/> keeps all.</summary>
    /// <value>Default: 5. The newest checkpoint is never deleted, so resume never depends on this setting.</value>
    public int? CheckpointsToKeep { get; init; } = 5;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("coordinator store: path is required.");
        }

        if (CheckpointsToKeep is < 1)
        {
            throw new ArgumentException($"coordinator store: checkpoints_to_keep must be at least 1 (or unset to keep all), got {CheckpointsToKeep}.");
        }
    }
}
