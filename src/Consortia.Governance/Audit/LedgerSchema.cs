namespace Consortia.Governance.Audit;

/// <summary>The SQLite schema of a ledger file.</summary>
/// <remarks>
/// Triggers refuse UPDATE and DELETE, and a second header, so even SQL run against the file cannot rewrite history
/// without first dropping them; the hash chain and signatures are what make such tampering detectable.
/// </remarks>
internal static class LedgerSchema
{
    public const string HeaderTable = "ledger_header";
    public const string EntriesTable = "ledger_entries";

    public const string Create = """
        CREATE TABLE ledger_header (
            format      INTEGER NOT NULL,
            writer_id   TEXT    NOT NULL,
            role        TEXT    NOT NULL,
            public_key  BLOB    NOT NULL,
            created_at  INTEGER NOT NULL,
            header_hash BLOB    NOT NULL,
            signature   BLOB    NOT NULL
        );
        CREATE TABLE ledger_entries (
            seq           INTEGER NOT NULL,
            recorded_at   INTEGER NOT NULL,
            writer_id     TEXT    NOT NULL,
            type          TEXT    NOT NULL,
            payload       TEXT    NOT NULL,
            previous_hash BLOB    NOT NULL,
            entry_hash    BLOB    NOT NULL,
            signature     BLOB    NOT NULL
        );
        CREATE TRIGGER ledger_header_single BEFORE INSERT ON ledger_header
            WHEN (SELECT COUNT(*) FROM ledger_header) > 0
            BEGIN SELECT RAISE(ABORT, 'the ledger header is written once'); END;
        CREATE TRIGGER ledger_header_no_update BEFORE UPDATE ON ledger_header
            BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END;
        CREATE TRIGGER ledger_header_no_delete BEFORE DELETE ON ledger_header
            BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END;
        CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
            BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END;
        CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
            BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END;
        """;

    /// <summary>Header columns; text columns are read as their stored bytes, because those are what is hashed.</summary>
    public const string SelectHeader =
        "SELECT format, CAST(writer_id AS BLOB), CAST(role AS BLOB), public_key, created_at, header_hash, signature FROM ledger_header ORDER BY rowid";

    /// <summary>Entry columns in physical (rowid) order, text columns as bytes.</summary>
    public const string SelectEntries =
        "SELECT seq, recorded_at, CAST(writer_id AS BLOB), CAST(type AS BLOB), CAST(payload AS BLOB), previous_hash, entry_hash, signature FROM ledger_entries ORDER BY rowid";

    public const string CountTables =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('ledger_header', 'ledger_entries')";

    public const string CountAllTables = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'";

    public static string ConnectionString(string path, bool readOnly) =>
        new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly : Microsoft.Data.Sqlite.SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
}
