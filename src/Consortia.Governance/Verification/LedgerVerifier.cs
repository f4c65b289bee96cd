using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Microsoft.Data.Sqlite;

namespace Consortia.Governance.Verification;

/// <summary>Verifies audit ledgers and cross-checks a site's ledger against the coordinator's.</summary>
/// <remarks>Files are opened read-only; hostile files give a result naming the problem, never an exception.</remarks>
public static class LedgerVerifier
{
    /// <summary>Re-checks the header, and every entry's sequence number, chain link, hash, signature and payload.</summary>
    /// <param name="path">The ledger file.</param>
    /// <param name="publicKey">The writer's key obtained out of band (PEM key or certificate); when <see langword="null"/>, the header's key is used.</param>
    /// <returns>The verification result with the first bad entry and reason, if any.</returns>
    public static LedgerVerification Verify(string path, LedgerPublicKey? publicKey = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            return Fail(path, null, null, null, publicKey is not null, "the ledger file does not exist");
        }

        try
        {
            using SqliteConnection connection = LedgerRows.OpenReadOnly(path);
            return VerifyOpen(path, connection, publicKey);
        }
        catch (SqliteException error)
        {
            return Fail(path, null, null, null, publicKey is not null, $"cannot read the file as an SQLite ledger: {error.Message}");
        }
    }

    /// <summary>
    /// Checks that every update the site says it sent appears, with the same hash, in the coordinator's round entries
    /// for that site, and that every update the coordinator recorded for the site appears in the site's ledger.
    /// </summary>
    /// <param name="coordinatorLedgerPath">The coordinator's ledger.</param>
    /// <param name="siteLedgerPath">The site's ledger; its writer id is the site id.</param>
    /// <param name="coordinatorKey">The coordinator's key obtained out of band, or <see langword="null"/> for the header key.</param>
    /// <param name="siteKey">The site's key obtained out of band, or <see langword="null"/> for the header key.</param>
    /// <returns>The result; consistent only when both ledgers verify and no finding was made.</returns>
    public static CrossCheckResult CrossCheck(string coordinatorLedgerPath, string siteLedgerPath, LedgerPublicKey? coordinatorKey = null, LedgerPublicKey? siteKey = null)
    {
        LedgerVerification coordinator = Verify(coordinatorLedgerPath, coordinatorKey);
        LedgerVerification site = Verify(siteLedgerPath, siteKey);
        List<CrossCheckFinding> findings = [];
        string siteId = site.WriterId ?? Path.GetFileNameWithoutExtension(siteLedgerPath);
        foreach (LedgerVerification v in new[] { coordinator, site })
        {
            if (!v.IsValid)
            {
                findings.Add(new(CrossCheckFindingKind.LedgerInvalid, null, null, $"{v.Path} does not verify: {v.Problem}"));
            }
        }

        if (coordinator.IsValid && coordinator.Role != LedgerRole.Coordinator)
        {
            findings.Add(new(CrossCheckFindingKind.WrongRole, null, null, $"{coordinatorLedgerPath} is a {coordinator.Role} ledger, not the coordinator's"));
        }

        if (site.IsValid && site.Role != LedgerRole.Site)
        {
            findings.Add(new(CrossCheckFindingKind.WrongRole, null, null, $"{siteLedgerPath} is a {site.Role} ledger, not a site's"));
        }

        if (findings.Count > 0)
        {
            return new CrossCheckResult(false, siteId, coordinator, site, findings, 0);
        }

        LedgerContents coordinatorContents;
        LedgerContents siteContents;
        try
        {
            coordinatorContents = LedgerReader.Read(coordinatorLedgerPath);
            siteContents = LedgerReader.Read(siteLedgerPath);
        }
        catch (LedgerFormatException error)
        {
            // A file replaced between verification and reading: report it rather than compare half-read ledgers.
            findings.Add(new(CrossCheckFindingKind.LedgerInvalid, null, null, error.Message));
            return new CrossCheckResult(false, siteId, coordinator, site, findings, 0);
        }

        SortedDictionary<(string JobId, int Round), SortedSet<string>> sent = new(KeyComparer.Instance);
        foreach (UpdateSentEvent e in siteContents.Entries.Select(x => x.Event).OfType<UpdateSentEvent>())
        {
            Add(sent, (e.JobId, e.Round), e.UpdateSha256);
        }

        SortedDictionary<(string JobId, int Round), SortedSet<string>> received = new(KeyComparer.Instance);
        foreach (RoundCompletedEvent e in coordinatorContents.Entries.Select(x => x.Event).OfType<RoundCompletedEvent>())
        {
            foreach (SiteUpdateHash update in e.Updates.Where(u => string.Equals(u.SiteId, siteId, StringComparison.Ordinal)))
            {
                Add(received, (e.JobId, e.Round), update.UpdateSha256);
            }
        }

        int matched = 0;
        foreach ((string JobId, int Round) key in sent.Keys.Union(received.Keys).Order(KeyComparer.Instance))
        {
            SortedSet<string> s = sent.GetValueOrDefault(key) ?? [];
            SortedSet<string> c = received.GetValueOrDefault(key) ?? [];
            matched += s.Intersect(c, StringComparer.Ordinal).Count();
            string where = $"job '{key.JobId}' round {key.Round.ToString(CultureInfo.InvariantCulture)}";
            if (s.SetEquals(c))
            {
                continue;
            }

            if (c.Count == 0)
            {
                findings.AddRange(s.Select(h => new CrossCheckFinding(CrossCheckFindingKind.MissingAtCoordinator, key.JobId, key.Round,
                    $"{where}: site '{siteId}' recorded sending update {h}, but the coordinator recorded no update from it")));
            }
            else if (s.Count == 0)
            {
                findings.AddRange(c.Select(h => new CrossCheckFinding(CrossCheckFindingKind.MissingAtSite, key.JobId, key.Round,
                    $"{where}: the coordinator recorded update {h} from site '{siteId}', but the site recorded sending none")));
            }
            else
            {
                findings.Add(new CrossCheckFinding(CrossCheckFindingKind.HashMismatch, key.JobId, key.Round,
                    $"{where}: site '{siteId}' recorded sending {string.Join(", ", s.Except(c, StringComparer.Ordinal))}; " +
                    $"the coordinator recorded {string.Join(", ", c.Except(s, StringComparer.Ordinal))}"));
            }
        }

        return new CrossCheckResult(findings.Count == 0, siteId, coordinator, site, findings, matched);
    }

    private static LedgerVerification VerifyOpen(string path, SqliteConnection connection, LedgerPublicKey? suppliedKey)
    {
        bool external = suppliedKey is not null;
        if (!LedgerRows.HasLedgerTables(connection))
        {
            return Fail(path, null, null, suppliedKey?.Fingerprint, external, "not an audit ledger (the ledger_header and ledger_entries tables are missing)");
        }

        List<object?[]> headerRows = LedgerRows.ReadHeaderRows(connection);
        if (headerRows.Count != 1)
        {
            return Fail(path, null, null, suppliedKey?.Fingerprint, external, $"expected exactly one header row, found {headerRows.Count.ToString(CultureInfo.InvariantCulture)}");
        }

        object?[] h = headerRows[0];
        if (LedgerRows.AsInteger(h[0]) is not { } format
            || LedgerRows.AsBytes(h[1]) is not { } writerBytes
            || LedgerRows.AsBytes(h[2]) is not { } roleBytes
            || LedgerRows.AsBytes(h[3]) is not { } keyBytes
            || LedgerRows.AsInteger(h[4]) is not { } created
            || LedgerRows.AsBytes(h[5]) is not { } storedHeaderHash
            || LedgerRows.AsBytes(h[6]) is not { } headerSignature)
        {
            return Fail(path, null, null, suppliedKey?.Fingerprint, external, "a header column is missing or has the wrong type");
        }

        string writerId = Encoding.UTF8.GetString(writerBytes);
        LedgerRole? role = LedgerEncoding.TryParseRole(Encoding.UTF8.GetString(roleBytes), out LedgerRole r) ? r : null;
        if (format != LedgerEncoding.FormatVersion)
        {
            return Fail(path, writerId, role, suppliedKey?.Fingerprint, external, $"unsupported ledger format {format.ToString(CultureInfo.InvariantCulture)} (expected {LedgerEncoding.FormatVersion.ToString(CultureInfo.InvariantCulture)})");
        }

        if (role is null)
        {
            return Fail(path, writerId, null, suppliedKey?.Fingerprint, external, "unknown ledger role (expected coordinator or site)");
        }

        LedgerPublicKey headerKey;
        try
        {
            headerKey = LedgerPublicKey.FromSubjectPublicKeyInfo(keyBytes);
        }
        catch (CryptographicException error)
        {
            return Fail(path, writerId, role, suppliedKey?.Fingerprint, external, $"the header public key is not a valid P-256 key: {error.Message}");
        }

        if (suppliedKey is not null && !suppliedKey.Equals(headerKey))
        {
            return Fail(path, writerId, role, suppliedKey.Fingerprint, external,
                $"the header's public key ({headerKey.Fingerprint}) is not the supplied key ({suppliedKey.Fingerprint}): the ledger was not written with the supplied identity");
        }

        LedgerPublicKey key = suppliedKey ?? headerKey;
        using ECDsa verifier = key.CreateVerifier();
        byte[] headerHash = LedgerEncoding.HeaderHash((int)format, writerBytes, roleBytes, keyBytes, created);
        if (!headerHash.AsSpan().SequenceEqual(storedHeaderHash))
        {
            return Fail(path, writerId, role, key.Fingerprint, external,
                $"the header hash does not match the header fields (recomputed {Hex(headerHash)}, stored {Hex(storedHeaderHash)})");
        }

        if (!verifier.VerifyHash(headerHash, headerSignature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return Fail(path, writerId, role, key.Fingerprint, external, "the header signature does not verify with the writer's key");
        }

        byte[] previous = headerHash;
        long position = 0;
        foreach (object?[] row in LedgerRows.ReadEntryRows(connection))
        {
            position++;
            string? reason = CheckEntry(row, position, writerBytes, previous, verifier, out long? sequence);
            if (reason is not null)
            {
                return new LedgerVerification(path, false, position - 1, writerId, role, key.Fingerprint, external, Hex(previous),
                    new LedgerProblem(position, sequence, reason));
            }

            previous = (byte[])row[6]!; // CheckEntry returned no problem, so the column is a 32-byte blob.
        }

        return new LedgerVerification(path, true, position, writerId, role, key.Fingerprint, external, Hex(previous), null);
    }

    private static string? CheckEntry(object?[] row, long position, byte[] writerBytes, byte[] previous, ECDsa verifier, out long? sequence)
    {
        sequence = LedgerRows.AsInteger(row[0]);
        if (sequence is not { } seq)
        {
            return "the sequence number is missing or not an integer";
        }

        if (seq != position)
        {
            return $"sequence number {seq.ToString(CultureInfo.InvariantCulture)} where {position.ToString(CultureInfo.InvariantCulture)} was expected (entries deleted, inserted or reordered)";
        }

        if (LedgerRows.AsInteger(row[1]) is not { } ticks
            || LedgerRows.AsBytes(row[2]) is not { } writer
            || LedgerRows.AsBytes(row[3]) is not { } type
            || LedgerRows.AsBytes(row[4]) is not { } payload
            || LedgerRows.AsBytes(row[5]) is not { } storedPrevious
            || LedgerRows.AsBytes(row[6]) is not { Length: SHA256.HashSizeInBytes } storedHash
            || LedgerRows.AsBytes(row[7]) is not { } signature)
        {
            return "a column is missing or has the wrong type";
        }

        if (!writer.AsSpan().SequenceEqual(writerBytes))
        {
            return $"written by '{Encoding.UTF8.GetString(writer)}', not by the ledger's writer '{Encoding.UTF8.GetString(writerBytes)}'";
        }

        if (!storedPrevious.AsSpan().SequenceEqual(previous))
        {
            return $"the previous-hash link is broken (stored {Hex(storedPrevious)}, previous entry's hash {Hex(previous)})";
        }

        byte[] recomputed = LedgerEncoding.EntryHash(seq, ticks, writer, type, payload, previous);
        if (!recomputed.AsSpan().SequenceEqual(storedHash))
        {
            return $"the entry hash does not match its contents (recomputed {Hex(recomputed)}, stored {Hex(storedHash)})";
        }

        if (!verifier.VerifyHash(storedHash, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return "the signature does not verify with the writer's key";
        }

        string typeName = Encoding.UTF8.GetString(type);
        if (!LedgerEventTypeNames.TryParse(typeName, out LedgerEventType eventType))
        {
            return $"unknown entry type '{typeName}'";
        }

        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return "the timestamp is out of range";
        }

        try
        {
            LedgerEventCodec.Decode(eventType, Encoding.UTF8.GetString(payload));
        }
        catch (FormatException error)
        {
            return $"the {typeName} payload does not decode: {error.Message}";
        }

        return null;
    }

    private static LedgerVerification Fail(string path, string? writerId, LedgerRole? role, string? fingerprint, bool external, string reason) =>
        new(path, false, 0, writerId, role, fingerprint, external, null, new LedgerProblem(null, null, reason));

    private static void Add(SortedDictionary<(string JobId, int Round), SortedSet<string>> map, (string JobId, int Round) key, string hash)
    {
        if (!map.TryGetValue(key, out SortedSet<string>? set))
        {
            set = new SortedSet<string>(StringComparer.Ordinal);
            map[key] = set;
        }

        set.Add(hash);
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private sealed class KeyComparer : IComparer<(string JobId, int Round)>
    {
        public static KeyComparer Instance { get; } = new();

        public int Compare((string JobId, int Round) x, (string JobId, int Round) y)
        {
            int c = string.CompareOrdinal(x.JobId, y.JobId);
            return c != 0 ? c : x.Round.CompareTo(y.Round);
        }
    }
}
