using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Consortia.Governance.Audit.Events;
using Microsoft.Data.Sqlite;

namespace Consortia.Governance.Audit;

/// <summary>An append-only, hash-chained, signed audit ledger in a SQLite file, written by one writer.</summary>
/// <remarks>
/// <para>Each append runs in an immediate (write-locking) transaction: it reads the current head, computes the entry
/// hash over the canonical encoding (see <c>docs/policy.md</c>), signs it with the writer's key and inserts the row,
/// so concurrent appenders, even in other processes, serialise and never fork the chain. There is no update or delete
/// operation, and triggers in the file refuse them.</para>
/// <para>Thread-safe. Timestamps come from the injected <see cref="TimeProvider"/>.</para>
/// </remarks>
public sealed class AuditLedger : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly ILedgerSigner _signer;
    private readonly TimeProvider _timeProvider;
    private readonly byte[] _writerBytes;
    private readonly Lock _lock = new();
    private long _lastSequence;
    private string _headHash;

    private AuditLedger(string path, SqliteConnection connection, LedgerHeader header, ILedgerSigner signer, TimeProvider timeProvider, long lastSequence, string headHash)
    {
        Path = path;
        _connection = connection;
        Header = header;
        _signer = signer;
        _timeProvider = timeProvider;
        _writerBytes = Encoding.UTF8.GetBytes(header.WriterId);
        _lastSequence = lastSequence;
        _headHash = headHash;
    }

    /// <summary>The ledger file.</summary>
    public string Path { get; }

    /// <summary>The header (writer, role, public key).</summary>
    public LedgerHeader Header { get; }

    /// <summary>The sequence number of the last entry (0 when empty).</summary>
    public long LastSequence
    {
        get
        {
            lock (_lock)
            {
                return _lastSequence;
            }
        }
    }

    /// <summary>The hash of the last entry (the header hash when empty), lowercase hex.</summary>
    public string HeadHash
    {
        get
        {
            lock (_lock)
            {
                return _headHash;
            }
        }
    }

    /// <summary>Opens a ledger file, creating it with a signed header when it does not exist.</summary>
    /// <param name="path">The SQLite file.</param>
    /// <param name="writerId">The writer: the site id for a site, the coordinator's id for the coordinator.</param>
    /// <param name="role">Coordinator or site.</param>
    /// <param name="signer">The writer's identity key.</param>
    /// <param name="timeProvider">The clock for timestamps.</param>
    /// <returns>The open ledger.</returns>
    /// <exception cref="LedgerFormatException">The file exists but is not a ledger.</exception>
    /// <exception cref="InvalidOperationException">The file is a ledger of another writer, role or key.</exception>
    public static AuditLedger Open(string path, string writerId, LedgerRole role, ILedgerSigner signer, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(writerId);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(timeProvider);
        string? directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        SqliteConnection connection = new(LedgerSchema.ConnectionString(path, readOnly: false));
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA synchronous = FULL;");
            using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
            LedgerHeader header;
            if (!LedgerRows.HasLedgerTables(connection))
            {
                if (Scalar(connection, LedgerSchema.CountAllTables) != 0)
                {
                    throw new LedgerFormatException($"{path}: the file is an SQLite database but not an audit ledger.");
                }

                header = CreateHeader(connection, writerId, role, signer, timeProvider);
            }
            else
            {
                header = LedgerReader.ReadHeader(connection, path);
                RequireSameWriter(path, header, writerId, role, signer);
            }

            (long lastSequence, string headHash) = ReadHead(connection, header);
            transaction.Commit();
            return new AuditLedger(path, connection, header, signer, timeProvider, lastSequence, headHash);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Appends an event as the next entry.</summary>
    /// <param name="ledgerEvent">The event.</param>
    /// <returns>The entry as written.</returns>
    /// <exception cref="ArgumentException">A field of the event is invalid (the message names it); nothing is written.</exception>
    /// <exception cref="ObjectDisposedException">The ledger is closed.</exception>
    public LedgerEntry Append(LedgerEvent ledgerEvent)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);
        string payload = LedgerEventCodec.Encode(ledgerEvent);
        string typeName = LedgerEventTypeNames.ToName(ledgerEvent.Type);
        byte[] typeBytes = Encoding.UTF8.GetBytes(typeName);
        byte[] payloadBytes = Encoding.UTF8.GetBytes(payload);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_connection.State != System.Data.ConnectionState.Open, this);
            using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);

            // Re-read the head inside the write lock: another process may have appended since we last looked.
            (long lastSequence, string headHash) = ReadHead(_connection, Header);
            long sequence = lastSequence + 1;
            DateTimeOffset now = _timeProvider.GetUtcNow();
            byte[] previous = Convert.FromHexString(headHash);
            byte[] entryHash = LedgerEncoding.EntryHash(sequence, now.UtcTicks, _writerBytes, typeBytes, payloadBytes, previous);
            byte[] signature = _signer.SignHash(entryHash);

            using SqliteCommand insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO ledger_entries (seq, recorded_at, writer_id, type, payload, previous_hash, entry_hash, signature)
                VALUES ($seq, $at, $writer, $type, $payload, $previous, $hash, $signature)
                """;
            insert.Parameters.AddWithValue("$seq", sequence);
            insert.Parameters.AddWithValue("$at", now.UtcTicks);
            insert.Parameters.AddWithValue("$writer", Header.WriterId);
            insert.Parameters.AddWithValue("$type", typeName);
            insert.Parameters.AddWithValue("$payload", payload);
            insert.Parameters.AddWithValue("$previous", previous);
            insert.Parameters.AddWithValue("$hash", entryHash);
            insert.Parameters.AddWithValue("$signature", signature);
            insert.ExecuteNonQuery();
            transaction.Commit();

            string entryHex = Convert.ToHexStringLower(entryHash);
            _lastSequence = sequence;
            _headHash = entryHex;
            return new LedgerEntry(sequence, new DateTimeOffset(now.UtcTicks, TimeSpan.Zero), Header.WriterId, ledgerEvent.Type, payload,
                headHash, entryHex, Convert.ToHexStringLower(signature), LedgerEventCodec.Decode(ledgerEvent.Type, payload));
        }
    }

    /// <summary>Reads every entry (without verifying; use <see cref="Verification.LedgerVerifier"/> for that).</summary>
    /// <returns>The entries in order.</returns>
    public IReadOnlyList<LedgerEntry> ReadEntries()
    {
        lock (_lock)
        {
            return LedgerReader.ReadEntries(_connection, Path);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock)
        {
            _connection.Dispose();
        }
    }

    private static LedgerHeader CreateHeader(SqliteConnection connection, string writerId, LedgerRole role, ILedgerSigner signer, TimeProvider timeProvider)
    {
        Execute(connection, LedgerSchema.Create);
        DateTimeOffset created = timeProvider.GetUtcNow();
        byte[] publicKey = signer.PublicKey.SubjectPublicKeyInfo.ToArray();
        string roleName = LedgerEncoding.RoleName(role);
        byte[] headerHash = LedgerEncoding.HeaderHash(
            LedgerEncoding.FormatVersion, Encoding.UTF8.GetBytes(writerId), Encoding.UTF8.GetBytes(roleName), publicKey, created.UtcTicks);
        byte[] signature = signer.SignHash(headerHash);

        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO ledger_header (format, writer_id, role, public_key, created_at, header_hash, signature)
            VALUES ($format, $writer, $role, $key, $created, $hash, $signature)
            """;
        insert.Parameters.AddWithValue("$format", LedgerEncoding.FormatVersion);
        insert.Parameters.AddWithValue("$writer", writerId);
        insert.Parameters.AddWithValue("$role", roleName);
        insert.Parameters.AddWithValue("$key", publicKey);
        insert.Parameters.AddWithValue("$created", created.UtcTicks);
        insert.Parameters.AddWithValue("$hash", headerHash);
        insert.Parameters.AddWithValue("$signature", signature);
        insert.ExecuteNonQuery();
        return new LedgerHeader(LedgerEncoding.FormatVersion, writerId, role, signer.PublicKey,
            new DateTimeOffset(created.UtcTicks, TimeSpan.Zero), Convert.ToHexStringLower(headerHash));
    }

    private static void RequireSameWriter(string path, LedgerHeader header, string writerId, LedgerRole role, ILedgerSigner signer)
    {
        if (!string.Equals(header.WriterId, writerId, StringComparison.Ordinal) || header.Role != role)
        {
            throw new InvalidOperationException(
                $"{path}: the ledger belongs to {LedgerEncoding.RoleName(header.Role)} '{header.WriterId}', not {LedgerEncoding.RoleName(role)} '{writerId}'.");
        }

        if (!header.PublicKey.Equals(signer.PublicKey))
        {
            throw new InvalidOperationException(
                $"{path}: the ledger is signed by key {header.PublicKey.Fingerprint}, not by the supplied key {signer.PublicKey.Fingerprint}.");
        }
    }

    private static (long Sequence, string Hash) ReadHead(SqliteConnection connection, LedgerHeader header)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT seq, entry_hash FROM ledger_entries ORDER BY rowid DESC LIMIT 1";
        using SqliteDataReader reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return (0, header.HeaderHash);
        }

        if (reader.IsDBNull(0) || reader.IsDBNull(1) || reader.GetValue(0) is not long sequence || reader.GetValue(1) is not byte[] { Length: SHA256.HashSizeInBytes } hash)
        {
            throw new LedgerFormatException("The last ledger entry is malformed; verify the ledger before appending.");
        }

        return (sequence, Convert.ToHexStringLower(hash));
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
