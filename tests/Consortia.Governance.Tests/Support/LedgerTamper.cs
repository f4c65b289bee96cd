using System.Buffers.Binary;
using Microsoft.Data.Sqlite;

namespace Consortia.Governance.Tests.Support;

/// <summary>What an attacker with write access to a ledger file can do: drop the triggers and rewrite rows.</summary>
public static class LedgerTamper
{
    public static readonly string[] HeaderColumns = ["format", "writer_id", "role", "public_key", "created_at", "header_hash", "signature"];

    public static readonly string[] EntryColumns = ["seq", "recorded_at", "writer_id", "type", "payload", "previous_hash", "entry_hash", "signature"];

    private static readonly HashSet<string> s_textColumns = ["writer_id", "role", "type", "payload"];

    private static readonly HashSet<string> s_integerColumns = ["format", "created_at", "seq", "recorded_at"];

    public static SqliteConnection OpenUnprotected(string path)
    {
        SqliteConnection connection = new($"Data Source={path};Pooling=False");
        connection.Open();
        Execute(connection, """
            PRAGMA synchronous = OFF;
            PRAGMA journal_mode = MEMORY;
            DROP TRIGGER IF EXISTS ledger_header_single;
            DROP TRIGGER IF EXISTS ledger_header_no_update;
            DROP TRIGGER IF EXISTS ledger_header_no_delete;
            DROP TRIGGER IF EXISTS ledger_entries_no_update;
            DROP TRIGGER IF EXISTS ledger_entries_no_delete;
            """);
        return connection;
    }

    public static long Count(string path, string table)
    {
        using SqliteConnection connection = new($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>XORs one byte of one column of one row (rowid order) with a non-zero mask.</summary>
    /// <returns>The column name (for messages).</returns>
    public static string FlipByte(string path, string table, long rowIndex, int columnIndex, int byteIndex, byte mask)
    {
        string[] columns = table == "ledger_header" ? HeaderColumns : EntryColumns;
        string column = columns[columnIndex % columns.Length];
        using SqliteConnection connection = OpenUnprotected(path);
        long rowid = Scalar<long>(connection, $"SELECT rowid FROM {table} ORDER BY rowid LIMIT 1 OFFSET {rowIndex}");
        using SqliteCommand update = connection.CreateCommand();
        if (s_integerColumns.Contains(column))
        {
            long value = Scalar<long>(connection, $"SELECT {column} FROM {table} WHERE rowid = {rowid}");
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, value);
            bytes[byteIndex % 8] ^= mask;
            update.CommandText = $"UPDATE {table} SET {column} = $v WHERE rowid = {rowid}";
            update.Parameters.AddWithValue("$v", BinaryPrimitives.ReadInt64BigEndian(bytes));
        }
        else
        {
            byte[] bytes = Scalar<byte[]>(connection, $"SELECT CAST({column} AS BLOB) FROM {table} WHERE rowid = {rowid}");
            bytes[byteIndex % bytes.Length] ^= mask;
            update.CommandText = s_textColumns.Contains(column)
                ? $"UPDATE {table} SET {column} = CAST($v AS TEXT) WHERE rowid = {rowid}"
                : $"UPDATE {table} SET {column} = $v WHERE rowid = {rowid}";
            update.Parameters.AddWithValue("$v", bytes);
        }

        if (update.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException("Tampering did not change exactly one row.");
        }

        return column;
    }

    public static void Execute(string path, string sql)
    {
        using SqliteConnection connection = OpenUnprotected(path);
        Execute(connection, sql);
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)command.ExecuteScalar()!;
    }
}
