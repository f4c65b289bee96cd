using Microsoft.Data.Sqlite;

namespace Consortia.Network.Identity;

/// <summary>A certificate the coordinator issued, with its revocation if any.</summary>
/// <param name="Site">The site (the certificate's CN).</param>
/// <param name="Serial">The serial number (uppercase hex).</param>
/// <param name="NotBefore">Start of validity.</param>
/// <param name="NotAfter">End of validity.</param>
/// <param name="IssuedAt">When the coordinator issued it.</param>
/// <param name="RevokedAt">When it was revoked; null while it is not.</param>
public sealed record IssuedCertificate(string Site, string Serial, DateTimeOffset NotBefore, DateTimeOffset NotAfter, DateTimeOffset IssuedAt, DateTimeOffset? RevokedAt)
{
    /// <summary>
    /// The site's long-term roster key (the key of its ledger and roster entry) recorded at this enrollment or renewal,
    /// base64 P-256 SubjectPublicKeyInfo; <see langword="null"/> when the node sent none.
    /// </summary>
    public string? RosterKey { get; init; }
}

/// <summary>Why a token cannot be redeemed.</summary>
public enum TokenProblem
{
    /// <summary>The token is redeemable.</summary>
    None,

    /// <summary>No token with this secret was minted.</summary>
    Unknown,

    /// <summary>The token was redeemed before.</summary>
    AlreadyUsed,

    /// <summary>The token's lifetime is over.</summary>
    Expired,

    /// <summary>The token was minted for another site.</summary>
    OtherSite,

    /// <summary>The token was revoked (<c>consortia token revoke</c>).</summary>
    Revoked,
}

/// <summary>An enrollment token as the coordinator stores it (never its secret).</summary>
/// <param name="Id">The first 12 hex digits of the SHA-256 of its secret (what <c>consortia token revoke</c> takes).</param>
/// <param name="Site">The site it enrolls.</param>
/// <param name="CreatedAt">When it was minted.</param>
/// <param name="ExpiresAt">When it expires.</param>
/// <param name="UsedAt">When it was redeemed; null while it is not.</param>
/// <param name="RevokedAt">When it was revoked; null while it is not.</param>
public sealed record TokenRecord(string Id, string Site, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt, DateTimeOffset? RevokedAt)
{
    /// <summary>The token's state at <paramref name="now"/>: used, revoked, expired or open.</summary>
    public string StateAt(DateTimeOffset now) =>
        UsedAt is not null ? "used" : RevokedAt is not null ? "revoked" : now >= ExpiresAt ? "expired" : "open";
}

/// <summary>
/// <c>identity.db</c>: enrollment tokens (SHA-256 of their secret only), issued certificates and
/// revocations. Every operation opens its own connection (pooled), so the coordinator process and the
/// <c>consortia token|site</c> commands can share the file; writes are serialised by SQLite.
/// </summary>
internal sealed class IdentityStore
{
    private readonly string _connectionString;

    private IdentityStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 30, Pooling = true }.ToString();
    }

    public static IdentityStore Open(string path, bool create)
    {
        if (!create && !File.Exists(path))
        {
            throw new IdentityException($"{path}: missing; is this a coordinator home made by `consortia provision`?");
        }

        IdentityStore store = new(path);
        using SqliteConnection connection = store.Connect();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS tokens (
                secret_sha256 TEXT PRIMARY KEY,
                site TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER);
            CREATE TABLE IF NOT EXISTS certificates (
                serial TEXT PRIMARY KEY,
                site TEXT NOT NULL,
                not_before INTEGER NOT NULL,
                not_after INTEGER NOT NULL,
                issued_at INTEGER NOT NULL,
                token_sha256 TEXT);
            CREATE INDEX IF NOT EXISTS certificates_site ON certificates(site);
            CREATE TABLE IF NOT EXISTS revocations (
                serial TEXT PRIMARY KEY,
                site TEXT NOT NULL,
                revoked_at INTEGER NOT NULL);
            """);
        // Columns added after the first release: homes made before get them here.
        AddColumn(connection, "tokens", "revoked_at", "INTEGER");
        AddColumn(connection, "certificates", "renewed_from", "TEXT");
        AddColumn(connection, "certificates", "roster_key", "TEXT");
        return store;
    }

    public void AddToken(EnrollmentToken token, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        using SqliteConnection connection = Connect();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "INSERT INTO tokens (secret_sha256, site, created_at, expires_at) VALUES ($h, $s, $c, $e)";
        command.Parameters.AddWithValue("$h", token.SecretHash);
        command.Parameters.AddWithValue("$s", token.Site);
        command.Parameters.AddWithValue("$c", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$e", expiresAt.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Redeems <paramref name="token"/> and records the certificate <paramref name="issue"/> makes, in one
    /// transaction: the token is marked used only if it was unused (a concurrent second redemption loses).
    /// </summary>
    public TokenProblem Redeem(EnrollmentToken token, DateTimeOffset now, Func<IssuedCertificate> issue)
    {
        using SqliteConnection connection = Connect();
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        TokenProblem problem = Check(connection, transaction, token, now);
        if (problem != TokenProblem.None)
        {
            return problem;
        }

        using (SqliteCommand use = connection.CreateCommand())
        {
            use.Transaction = transaction;
            use.CommandText = "UPDATE tokens SET used_at = $now WHERE secret_sha256 = $h AND used_at IS NULL";
            use.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            use.Parameters.AddWithValue("$h", token.SecretHash);
            if (use.ExecuteNonQuery() != 1)
            {
                return TokenProblem.AlreadyUsed;
            }
        }

        IssuedCertificate certificate = issue();
        using (SqliteCommand insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO certificates (serial, site, not_before, not_after, issued_at, token_sha256, roster_key) VALUES ($serial, $site, $nb, $na, $at, $h, $key)";
            insert.Parameters.AddWithValue("$key", (object?)certificate.RosterKey ?? DBNull.Value);
            insert.Parameters.AddWithValue("$serial", certificate.Serial);
            insert.Parameters.AddWithValue("$site", certificate.Site);
            insert.Parameters.AddWithValue("$nb", certificate.NotBefore.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$na", certificate.NotAfter.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$at", certificate.IssuedAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$h", token.SecretHash);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return TokenProblem.None;
    }

    /// <summary>Records a certificate issued without a token (a renewal of <paramref name="renewedFrom"/>).</summary>
    public void AddCertificate(IssuedCertificate certificate, string renewedFrom)
    {
        using SqliteConnection connection = Connect();
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO certificates (serial, site, not_before, not_after, issued_at, renewed_from, roster_key) VALUES ($serial, $site, $nb, $na, $at, $from, $key)";
        insert.Parameters.AddWithValue("$key", (object?)certificate.RosterKey ?? DBNull.Value);
        insert.Parameters.AddWithValue("$serial", certificate.Serial);
        insert.Parameters.AddWithValue("$site", certificate.Site);
        insert.Parameters.AddWithValue("$nb", certificate.NotBefore.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$na", certificate.NotAfter.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$at", certificate.IssuedAt.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$from", renewedFrom);
        insert.ExecuteNonQuery();
    }

    /// <summary>Every enrollment token, newest first.</summary>
    public IReadOnlyList<TokenRecord> Tokens()
    {
        using SqliteConnection connection = Connect();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT secret_sha256, site, created_at, expires_at, used_at, revoked_at FROM tokens ORDER BY created_at DESC, secret_sha256";
        using SqliteDataReader reader = command.ExecuteReader();
        List<TokenRecord> result = [];
        while (reader.Read())
        {
            result.Add(new TokenRecord(
                reader.GetString(0)[..TokenIdLength],
                reader.GetString(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                reader.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
        }

        return result;
    }

    /// <summary>The length of a token id (hex digits of the SHA-256 of its secret).</summary>
    public const int TokenIdLength = 12;

    /// <summary>Revokes the unused tokens whose id starts with <paramref name="id"/>; returns how many matched and how many were revoked.</summary>
    public (int Matched, int Revoked) RevokeToken(string id, DateTimeOffset now)
    {
        using SqliteConnection connection = Connect();
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        using SqliteCommand count = connection.CreateCommand();
        count.Transaction = transaction;
        count.CommandText = "SELECT COUNT(*) FROM tokens WHERE substr(secret_sha256, 1, length($id)) = $id";
        count.Parameters.AddWithValue("$id", id);
        int matched = Convert.ToInt32(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (matched != 1)
        {
            return (matched, 0); // an ambiguous prefix revokes nothing
        }

        using SqliteCommand revoke = connection.CreateCommand();
        revoke.Transaction = transaction;
        revoke.CommandText = "UPDATE tokens SET revoked_at = $now WHERE substr(secret_sha256, 1, length($id)) = $id AND used_at IS NULL AND revoked_at IS NULL";
        revoke.Parameters.AddWithValue("$id", id);
        revoke.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        int revoked = revoke.ExecuteNonQuery();
        transaction.Commit();
        return (matched, revoked);
    }

    /// <summary>Revokes the one certificate with <paramref name="serial"/>; false when it is unknown or already revoked.</summary>
    public bool RevokeSerial(string serial, DateTimeOffset now)
    {
        using SqliteConnection connection = Connect();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO revocations (serial, site, revoked_at)
            SELECT serial, site, $now FROM certificates WHERE serial = $serial AND serial NOT IN (SELECT serial FROM revocations)
            """;
        command.Parameters.AddWithValue("$serial", serial);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>Whether <paramref name="token"/> could be redeemed now (without redeeming it).</summary>
    public TokenProblem Check(EnrollmentToken token, DateTimeOffset now)
    {
        using SqliteConnection connection = Connect();
        return Check(connection, null, token, now);
    }

    /// <summary>The site of the certificate with <paramref name="serial"/>, and whether it is revoked; null when this coordinator never issued it.</summary>
    public (string Site, bool Revoked)? Lookup(string serial)
    {
        using SqliteConnection connection = Connect();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT c.site, r.serial IS NOT NULL FROM certificates c LEFT JOIN revocations r ON r.serial = c.serial WHERE c.serial = $serial";
        command.Parameters.AddWithValue("$serial", serial);
        using SqliteDataReader reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.GetBoolean(1)) : null;
    }

    /// <summary>Revokes every certificate of <paramref name="site"/> not yet revoked; returns how many.</summary>
    public int Revoke(string site, DateTimeOffset now)
    {
        using SqliteConnection connection = Connect();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO revocations (serial, site, revoked_at)
            SELECT serial, site, $now FROM certificates WHERE site = $site AND serial NOT IN (SELECT serial FROM revocations)
            """;
        command.Parameters.AddWithValue("$site", site);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        return command.ExecuteNonQuery();
    }

    /// <summary>Every certificate issued, by site then issue time.</summary>
    public IReadOnlyList<IssuedCertificate> Certificates()
    {
        using SqliteConnection connection = Connect();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            SELECT c.site, c.serial, c.not_before, c.not_after, c.issued_at, r.revoked_at, c.roster_key
            FROM certificates c LEFT JOIN revocations r ON r.serial = c.serial
            ORDER BY c.site, c.issued_at, c.serial
            """;
        using SqliteDataReader reader = command.ExecuteReader();
        List<IssuedCertificate> result = [];
        while (reader.Read())
        {
            result.Add(new IssuedCertificate(
                reader.GetString(0),
                reader.GetString(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)))
            {
                RosterKey = reader.IsDBNull(6) ? null : reader.GetString(6),
            });
        }

        return result;
    }

    /// <summary>
    /// Each site's roster key as recorded with its most recently issued certificate (issue time, then insertion order:
    /// a renewal in the same millisecond still wins); sites whose newest certificate has none are absent.
    /// </summary>
    public IReadOnlyDictionary<string, string> LatestRosterKeys()
    {
        using SqliteConnection connection = Connect();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT site, roster_key FROM certificates ORDER BY issued_at, rowid";
        using SqliteDataReader reader = command.ExecuteReader();
        Dictionary<string, string?> latest = new(StringComparer.Ordinal);
        while (reader.Read())
        {
            latest[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        }

        return latest.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!, StringComparer.Ordinal);
    }

    /// <summary>The roster key recorded with the certificate of serial <paramref name="serial"/>, or <see langword="null"/>.</summary>
    public string? RosterKeyOf(string serial)
    {
        using SqliteConnection connection = Connect();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT roster_key FROM certificates WHERE serial = $serial";
        command.Parameters.AddWithValue("$serial", serial);
        return command.ExecuteScalar() as string;
    }

    private static TokenProblem Check(SqliteConnection connection, SqliteTransaction? transaction, EnrollmentToken token, DateTimeOffset now)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT site, expires_at, used_at, revoked_at FROM tokens WHERE secret_sha256 = $h";
        command.Parameters.AddWithValue("$h", token.SecretHash);
        using SqliteDataReader reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return TokenProblem.Unknown;
        }

        if (!string.Equals(reader.GetString(0), token.Site, StringComparison.Ordinal))
        {
            return TokenProblem.OtherSite;
        }

        if (!reader.IsDBNull(2))
        {
            return TokenProblem.AlreadyUsed;
        }

        if (!reader.IsDBNull(3))
        {
            return TokenProblem.Revoked;
        }

        return now.ToUnixTimeMilliseconds() >= reader.GetInt64(1) ? TokenProblem.Expired : TokenProblem.None;
    }

    private SqliteConnection Connect()
    {
        SqliteConnection connection = new(_connectionString);
        connection.Open();
        return connection;
    }

    private static void AddColumn(SqliteConnection connection, string table, string column, string type)
    {
        using SqliteCommand info = connection.CreateCommand();
        info.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if (Convert.ToInt32(info.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            Execute(connection, $"ALTER TABLE {table} ADD COLUMN {column} {type}");
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
