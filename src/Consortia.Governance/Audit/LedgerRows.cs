using Microsoft.Data.Sqlite;

namespace Consortia.Governance.Audit;

/// <summary>Reads the raw columns of a ledger file, untrusted: values are returned as stored, for checking.</summary>
internal static class LedgerRows
{
    public static SqliteConnection OpenReadOnly(string path)
    {
        SqliteConnection connection = new(LedgerSchema.ConnectionString(path, readOnly: true));
        connection.Open();
        return connection;
    }

    public static bool HasLedgerTables(SqliteConnection connection)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = LedgerSchema.CountTables;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 2;
    }

    public static List<object?[]> ReadHeaderRows(SqliteConnection connection) => ReadRows(connection, LedgerSchema.SelectHeader).ToList();

    public static IEnumerable<object?[]> ReadEntryRows(SqliteConnection connection) => ReadRows(connection, LedgerSchema.SelectEntries);

    public static long? AsInteger(object? value) => value is long l ? l : null;

    public static byte[]? AsBytes(object? value) => value as byte[];

    private static IEnumerable<object?[]> ReadRows(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            object?[] row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            yield return row;
        }
    }
}
