using System.Security.Cryptography;
using Consortia.Learning;

namespace Consortia.Federation.Sites.Local;

/// <summary>
/// What a site carries from one round of a job to the next, saved after every training round so that a restarted
/// site (a node process restarted, or <c>simulate --resume</c>) continues the job exactly: SCAFFOLD's control
/// variate cᵢ and the job's privacy account.
/// </summary>
/// <remarks>
/// <para>
/// The file keeps the two latest snapshots. A restarted site restores the latest one taken before the round it is
/// asked to train, so a round that was trained but never completed by the coordinator (it crashed) does not count.
/// </para>
/// <para>
/// Written to a temporary file and moved over the old one, so a crash mid-write leaves the previous state; a
/// SHA-256 over the contents detects a damaged file, which is an error naming the file, never silently ignored.
/// </para>
/// </remarks>
internal sealed class SiteJobState
{
    private const uint Magic = 0x314A5343; // "CSJ1"
    private const int KeptSnapshots = 2;
    private readonly string _path;
    private readonly List<Snapshot> _snapshots;
    private bool _restored;

    private SiteJobState(string path, List<Snapshot> snapshots)
    {
        _path = path;
        _snapshots = snapshots;
    }

    /// <summary>Opens the state file of one job at one site, or starts an empty one when the file does not exist.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The state.</returns>
    /// <exception cref="InvalidDataException">The file exists but is damaged or not a site state file.</exception>
    public static SiteJobState Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new SiteJobState(path, File.Exists(path) ? Read(path) : []);
    }

    /// <summary>
    /// The first time this process trains for the job: restores the latest snapshot taken before
    /// <paramref name="round"/> into the trainer and the privacy account (nothing when there is none).
    /// </summary>
    public void RestoreOnce(RoundNumber round, SiteTrainer trainer, SitePrivacyAccount privacy)
    {
        if (_restored)
        {
            return;
        }

        _restored = true;
        Snapshot? latest = _snapshots.Where(s => s.Round < round.Value).OrderBy(s => s.Round).LastOrDefault();
        if (latest is null)
        {
            return;
        }

        if (latest.ControlVariate is { } ci && ci.Length != trainer.Layout.Length)
        {
            throw new InvalidDataException($"{_path}: the saved control variate has {ci.Length} values; this job's model has {trainer.Layout.Length}.");
        }

        trainer.RestoreControlVariate(latest.ControlVariate, latest.ControlVariate is not null);
        privacy.Restore(latest.Privacy);
    }

    /// <summary>Saves the state after training <paramref name="round"/>.</summary>
    public void Save(RoundNumber round, SiteTrainer trainer, SitePrivacyAccount privacy)
    {
        _restored = true; // this process now holds the state
        _snapshots.RemoveAll(s => s.Round >= round.Value);
        _snapshots.Add(new Snapshot(round.Value, trainer.ControlVariate?.Values.ToArray(), [.. privacy.Entries]));
        while (_snapshots.Count > KeptSnapshots)
        {
            _snapshots.RemoveAt(0);
        }

        Write();
    }

    private void Write()
    {
        using MemoryStream buffer = new();
        using (BinaryWriter writer = new(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(_snapshots.Count);
            foreach (Snapshot snapshot in _snapshots)
            {
                writer.Write(snapshot.Round);
                writer.Write(snapshot.Privacy.Length);
                foreach (PrivacyAccountEntry entry in snapshot.Privacy)
                {
                    writer.Write((byte)entry.Level);
                    writer.Write(entry.SampleRate);
                    writer.Write(entry.NoiseMultiplier);
                    writer.Write(entry.Steps);
                    writer.Write(entry.Delta);
                }

                writer.Write(snapshot.ControlVariate?.Length ?? -1);
                foreach (float value in snapshot.ControlVariate ?? [])
                {
                    writer.Write(value);
                }
            }
        }

        byte[] contents = buffer.ToArray();
        string directory = Path.GetDirectoryName(Path.GetFullPath(_path))!;
        Directory.CreateDirectory(directory);
        string temporary = _path + ".tmp";
        using (FileStream file = new(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(contents);
            file.Write(SHA256.HashData(contents));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }

    private static List<Snapshot> Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 + SHA256.HashSizeInBytes
            || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - SHA256.HashSizeInBytes)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - SHA256.HashSizeInBytes)))
        {
            throw new InvalidDataException($"{path}: the site's job state is damaged (checksum mismatch); restore it from a backup or remove it to restart the site's state for this job.");
        }

        try
        {
            using BinaryReader reader = new(new MemoryStream(bytes, 0, bytes.Length - SHA256.HashSizeInBytes));
            if (reader.ReadUInt32() != Magic)
            {
                throw new InvalidDataException($"{path}: not a site job state file.");
            }

            int count = reader.ReadInt32();
            List<Snapshot> snapshots = [];
            for (int s = 0; s < count; s++)
            {
                int round = reader.ReadInt32();
                PrivacyAccountEntry[] privacy = new PrivacyAccountEntry[reader.ReadInt32()];
                for (int i = 0; i < privacy.Length; i++)
                {
                    privacy[i] = new PrivacyAccountEntry((PrivacyAccountLevel)reader.ReadByte(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadInt32(), reader.ReadDouble());
                }

                int length = reader.ReadInt32();
                float[]? ci = length < 0 ? null : new float[length];
                for (int i = 0; i < length; i++)
                {
                    ci![i] = reader.ReadSingle();
                }

                snapshots.Add(new Snapshot(round, ci, privacy));
            }

            return snapshots;
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: the site's job state is truncated or malformed.", e);
        }
    }

    private sealed record Snapshot(int Round, float[]? ControlVariate, PrivacyAccountEntry[] Privacy);
}
