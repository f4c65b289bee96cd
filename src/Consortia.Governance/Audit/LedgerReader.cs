using System.Security.Cryptography;
using System.Text;
using Consortia.Governance.Audit.Events;
using Microsoft.Data.Sqlite;

namespace Consortia.Governance.Audit;

/// <summary>Reads ledger files. Reading does not verify: check with <see cref="Verification.LedgerVerifier"/> first.</summary>
public static class LedgerReader
{
    /// <summary>Reads a whole ledger file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The header and entries.</returns>
    /// <exception cref="LedgerFormatException">The file is missing, not a ledger, or an entry does not decode.</exception>
    public static LedgerContents Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new LedgerFormatException($"{path}: the ledger file does not exist.");
        }

        try
        {
            using SqliteConnection connection = LedgerRows.OpenReadOnly(path);
            if (!LedgerRows.HasLedgerTables(connection))
            {
                throw new LedgerFormatException($"{path}: not an audit ledger (no ledger tables).");
            }

            LedgerHeader header = ReadHeader(connection, path);
            return new LedgerContents(path, header, ReadEntries(connection, path));
        }
        catch (SqliteException error)
        {
            throw new LedgerFormatException($"{path}: cannot read the ledger: {error.Message}", error);
        }
    }

    /// <summary>Whether a file is an SQLite database holding ledger tables (used to find ledgers in a directory).</summary>
    /// <param name="path">The file.</param>
    /// <returns><see langword="true"/> for a ledger file.</returns>
    public static bool IsLedgerFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using SqliteConnection connection = LedgerRows.OpenReadOnly(path);
            return LedgerRows.HasLedgerTables(connection);
        }
        catch (SqliteException)
        {
            // Not a database (or unreadable): by definition not a ledger; callers list ledgers, they do not repair files.
            return false;
        }
    }

    internal static LedgerHeader ReadHeader(SqliteConnection connection, string path)
    {
        List<object?[]> rows = LedgerRows.ReadHeaderRows(connection);
        if (rows.Count != 1)
        {
            throw new LedgerFormatException($"{path}: expected one header row, found {rows.Count}.");
        }

        object?[] row = rows[0];
        if (LedgerRows.AsInteger(row[0]) is not { } format
            || LedgerRows.AsBytes(row[1]) is not { } writer
            || LedgerRows.AsBytes(row[2]) is not { } roleBytes
            || LedgerRows.AsBytes(row[3]) is not { } key
            || LedgerRows.AsInteger(row[4]) is not { } created
            || LedgerRows.AsBytes(row[5]) is not { Length: SHA256.HashSizeInBytes } hash)
        {
            throw new LedgerFormatException($"{path}: the header has a missing or mistyped column.");
        }

        if (!LedgerEncoding.TryParseRole(Encoding.UTF8.GetString(roleBytes), out LedgerRole role))
        {
            throw new LedgerFormatException($"{path}: unknown ledger role.");
        }

        LedgerPublicKey publicKey;
        try
        {
            publicKey = LedgerPublicKey.FromSubjectPublicKeyInfo(key);
        }
        catch (CryptographicException error)
        {
            throw new LedgerFormatException($"{path}: the header public key is not a P-256 key: {error.Message}", error);
        }

        if (created < DateTimeOffset.MinValue.UtcTicks || created > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw new LedgerFormatException($"{path}: the header creation time is out of range.");
        }

        return new LedgerHeader((int)format, Encoding.UTF8.GetString(writer), role, publicKey, new DateTimeOffset(created, TimeSpan.Zero), Convert.ToHexStringLower(hash));
    }

    internal static List<LedgerEntry> ReadEntries(SqliteConnection connection, string path)
    {
        List<LedgerEntry> entries = [];
        foreach (object?[] row in LedgerRows.ReadEntryRows(connection))
        {
            entries.Add(Decode(row, path, entries.Count + 1));
        }

        return entries;
    }

    internal static LedgerEntry Decode(object?[] row, string path, long position)
    {
        if (LedgerRows.AsInteger(row[0]) is not { } sequence
            || LedgerRows.AsInteger(row[1]) is not { } ticks
            || LedgerRows.AsBytes(row[2]) is not { } writer
            || LedgerRows.AsBytes(row[3]) is not { } type
            || LedgerRows.AsBytes(row[4]) is not { } payload
            || LedgerRows.AsBytes(row[5]) is not { } previous
            || LedgerRows.AsBytes(row[6]) is not { } hash
            || LedgerRows.AsBytes(row[7]) is not { } signature)
        {
            throw new LedgerFormatException($"{path}: entry at position {position} has a missing or mistyped column.");
        }

        string typeName = Encoding.UTF8.GetString(type);
        if (!LedgerEventTypeNames.TryParse(typeName, out LedgerEventType eventType))
        {
            throw new LedgerFormatException($"{path}: entry {sequence} has unknown type '{typeName}'.");
        }

        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw new LedgerFormatException($"{path}: entry {sequence} has an out-of-range timestamp.");
        }

        string payloadText = Encoding.UTF8.GetString(payload);
        LedgerEvent ledgerEvent;
        try
        {
            ledgerEvent = LedgerEventCodec.Decode(eventType, payloadText);
        }
        catch (FormatException error)
        {
            throw new LedgerFormatException($"{path}: entry {sequence} ({typeName}) payload does not decode: {error.Message}", error);
        }

        return new LedgerEntry(sequence, new DateTimeOffset(ticks, TimeSpan.Zero), Encoding.UTF8.GetString(writer), eventType, payloadText,
            Convert.ToHexStringLower(previous), Convert.ToHexStringLower(hash), Convert.ToHexStringLower(signature), ledgerEvent);
    }
}
