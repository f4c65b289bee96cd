using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Consortia.Governance.Audit;

namespace Consortia.Governance.Roster;

/// <summary>
/// A consortium's roster: its member sites and each one's long-term signing key. It is the trust anchor for
/// privacy, held and accepted by each site, because the coordinator's certificate authority can mint
/// identities for sites that do not exist.
/// </summary>
/// <remarks>
/// <para>Each member entry carries the member's own signature over its join statement (consortium, site name,
/// public key): only the holder of a key can put that key in the roster under a name, and an entry re-signed by
/// anyone else, or with its key swapped, does not verify. Members are kept sorted by site name (ordinal), so the
/// canonical encoding and its hash (<see cref="Sha256"/>) do not depend on the order a file lists them in.</para>
/// <para>Immutable; building or reading a roster verifies every join signature.</para>
/// </remarks>
public sealed class ConsortiumRoster
{
    /// <summary>The format tag written in, and required of, every roster file.</summary>
    public const string Format = "consortia.roster.v1";

    /// <summary>Roster files larger than this are refused.</summary>
    public const int MaxFileBytes = 4 << 20;

    private static readonly byte[] s_joinDomain = Encoding.UTF8.GetBytes("consortia.roster.v1.join");
    private static readonly byte[] s_rosterDomain = Encoding.UTF8.GetBytes("consortia.roster.v1.roster");

    private ConsortiumRoster(string consortium, RosterMember[] members)
    {
        Consortium = consortium;
        Members = members;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(Canonical(consortium, members)));
    }

    /// <summary>The consortium's name.</summary>
    public string Consortium { get; }

    /// <summary>The members, sorted by site name (ordinal).</summary>
    public IReadOnlyList<RosterMember> Members { get; }

    /// <summary>SHA-256 of the canonical encoding, lowercase hex: what operators compare out of band and the ledger records.</summary>
    public string Sha256 { get; }

    /// <summary>An empty roster of <paramref name="consortium"/>.</summary>
    /// <param name="consortium">The consortium's name.</param>
    /// <returns>The roster.</returns>
    /// <exception cref="RosterException">The name is empty.</exception>
    public static ConsortiumRoster Empty(string consortium) => new(RequireName(consortium, "consortium"), []);

    /// <summary>The bytes a member signs to join: domain, consortium, site and public key, each length-prefixed.</summary>
    /// <param name="consortium">The consortium.</param>
    /// <param name="site">The joining site.</param>
    /// <param name="publicKey">Its signing key.</param>
    /// <returns>The statement.</returns>
    public static byte[] JoinStatement(string consortium, string site, LedgerPublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(consortium);
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(publicKey);
        using MemoryStream buffer = new();
        WriteLp(buffer, s_joinDomain);
        WriteLp(buffer, Encoding.UTF8.GetBytes(consortium));
        WriteLp(buffer, Encoding.UTF8.GetBytes(site));
        WriteLp(buffer, publicKey.SubjectPublicKeyInfo.Span);
        return buffer.ToArray();
    }

    /// <summary>A site's signed request to join <paramref name="consortium"/> under the key of <paramref name="signer"/>.</summary>
    /// <param name="consortium">The consortium.</param>
    /// <param name="site">The joining site.</param>
    /// <param name="signer">The site's long-term signing key (the one that signs its ledger).</param>
    /// <returns>The member entry.</returns>
    public static RosterMember Join(string consortium, string site, ILedgerSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        RequireName(consortium, "consortium");
        RequireName(site, "site");
        byte[] signature = signer.SignHash(SHA256.HashData(JoinStatement(consortium, site, signer.PublicKey)));
        return new RosterMember(site, signer.PublicKey, signature);
    }

    /// <summary>Checks a member's join signature.</summary>
    /// <param name="consortium">The consortium.</param>
    /// <param name="member">The entry.</param>
    /// <returns><see langword="true"/> when the entry's own key signed its statement.</returns>
    public static bool VerifyJoin(string consortium, RosterMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        return member.JoinSignature.Length == 64
            && member.PublicKey.VerifyHash(SHA256.HashData(JoinStatement(consortium, member.Site, member.PublicKey)), member.JoinSignature.Span);
    }

    /// <summary>This roster with <paramref name="member"/> added, or replacing the entry of the same site.</summary>
    /// <param name="member">A signed member entry.</param>
    /// <returns>The new roster.</returns>
    /// <exception cref="RosterException">The join signature does not verify.</exception>
    public ConsortiumRoster With(RosterMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        RequireName(member.Site, "site");
        if (!VerifyJoin(Consortium, member))
        {
            throw new RosterException($"roster of '{Consortium}': the join statement of '{member.Site}' is not signed by the key it names ({member.PublicKey.Fingerprint})");
        }

        return new ConsortiumRoster(Consortium, [.. Members.Where(m => m.Site != member.Site).Append(member).OrderBy(m => m.Site, StringComparer.Ordinal)]);
    }

    /// <summary>The entry of <paramref name="site"/>, or <see langword="null"/> when it is not a member.</summary>
    /// <param name="site">The site's name.</param>
    /// <returns>The entry or <see langword="null"/>.</returns>
    public RosterMember? Find(string site) => Members.FirstOrDefault(m => string.Equals(m.Site, site, StringComparison.Ordinal));

    /// <summary>How this (proposed) roster differs from <paramref name="accepted"/>.</summary>
    /// <param name="accepted">The roster accepted before, or <see langword="null"/> for none.</param>
    /// <returns>The changes.</returns>
    public RosterChanges Compare(ConsortiumRoster? accepted)
    {
        IReadOnlyList<RosterMember> before = accepted?.Members ?? [];
        List<string> added = [];
        List<string> rekeyed = [];
        foreach (RosterMember member in Members)
        {
            RosterMember? previous = accepted?.Find(member.Site);
            if (previous is null)
            {
                added.Add(member.Site);
            }
            else if (!previous.PublicKey.Equals(member.PublicKey))
            {
                rekeyed.Add(member.Site);
            }
        }

        List<string> removed = [.. before.Where(m => Find(m.Site) is null).Select(m => m.Site)];
        return new RosterChanges(added, removed, rekeyed);
    }

    /// <summary>Reads a roster file and verifies it (format, names, keys, every join signature, the hash when present).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The roster.</returns>
    /// <exception cref="RosterException">The file is missing, too large, malformed or tampered with; the message names the file and field.</exception>
    public static ConsortiumRoster Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileInfo file = new(path);
        if (!file.Exists)
        {
            throw new RosterException($"{path}: no roster file");
        }

        if (file.Length > MaxFileBytes)
        {
            throw new RosterException($"{path}: {file.Length} bytes; a roster file is at most {MaxFileBytes}");
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and verifies a roster (see <see cref="Load"/>).</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">The file name or origin, for error messages.</param>
    /// <returns>The roster.</returns>
    /// <exception cref="RosterException">The text is malformed or tampered with.</exception>
    public static ConsortiumRoster Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new RosterException($"{source}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new RosterException($"{source}: expected a JSON object");
            }

            string format = Text(root, "format", source);
            if (format != Format)
            {
                throw new RosterException($"{source}: format: expected '{Format}', got '{format}'");
            }

            ConsortiumRoster roster = Empty(Text(root, "consortium", source));
            if (!root.TryGetProperty("members", out JsonElement members) || members.ValueKind != JsonValueKind.Array)
            {
                throw new RosterException($"{source}: members: expected a list");
            }

            HashSet<string> seen = new(StringComparer.Ordinal);
            int index = 0;
            foreach (JsonElement entry in members.EnumerateArray())
            {
                string field = $"members[{index++}]";
                if (entry.ValueKind != JsonValueKind.Object)
                {
                    throw new RosterException($"{source}: {field}: expected an object");
                }

                string site = Text(entry, "site", source, field);
                if (!seen.Add(site))
                {
                    throw new RosterException($"{source}: {field}.site: '{site}' is listed twice");
                }

                LedgerPublicKey key;
                byte[] signature;
                try
                {
                    key = LedgerPublicKey.FromSubjectPublicKeyInfo(Convert.FromBase64String(Text(entry, "public_key", source, field)));
                    signature = Convert.FromHexString(Text(entry, "join_signature", source, field));
                }
                catch (Exception e) when (e is FormatException or CryptographicException)
                {
                    throw new RosterException($"{source}: {field} ('{site}'): public_key must be a base64 P-256 SubjectPublicKeyInfo and join_signature hex: {e.Message}", e);
                }

                RosterMember member = new(site, key, signature);
                if (!VerifyJoin(roster.Consortium, member))
                {
                    throw new RosterException($"{source}: {field} ('{site}'): the join signature does not verify under the key listed ({key.Fingerprint}): the entry was altered or signed by another key");
                }

                roster = roster.With(member);
            }

            if (root.TryGetProperty("sha256", out JsonElement hash) && hash.GetString() is { } stated && !string.Equals(stated, roster.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new RosterException($"{source}: sha256: the file states {stated} but its contents hash to {roster.Sha256}: it was altered");
            }

            return roster;
        }
    }

    /// <summary>The roster as its JSON file (members sorted, with its hash).</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson()
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteString("consortium", Consortium);
            writer.WriteString("sha256", Sha256);
            writer.WriteStartArray("members");
            foreach (RosterMember member in Members)
            {
                writer.WriteStartObject();
                writer.WriteString("site", member.Site);
                writer.WriteString("public_key", Convert.ToBase64String(member.PublicKey.SubjectPublicKeyInfo.Span));
                writer.WriteString("fingerprint", member.PublicKey.Fingerprint);
                writer.WriteString("join_signature", Convert.ToHexStringLower(member.JoinSignature.Span));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static byte[] Canonical(string consortium, RosterMember[] members)
    {
        using MemoryStream buffer = new();
        WriteLp(buffer, s_rosterDomain);
        WriteLp(buffer, Encoding.UTF8.GetBytes(consortium));
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(count, members.Length);
        buffer.Write(count);
        foreach (RosterMember member in members)
        {
            WriteLp(buffer, Encoding.UTF8.GetBytes(member.Site));
            WriteLp(buffer, member.PublicKey.SubjectPublicKeyInfo.Span);
            WriteLp(buffer, member.JoinSignature.Span);
        }

        return buffer.ToArray();
    }

    private static void WriteLp(MemoryStream buffer, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }

    private static string RequireName(string? name, string field) =>
        string.IsNullOrWhiteSpace(name) || name.Length > 256 || name.Any(char.IsControl)
            ? throw new RosterException($"{field}: expected a non-empty name of at most 256 characters without control characters, got '{name}'")
            : name;

    private static string Text(JsonElement element, string property, string source, string? parent = null)
    {
        string field = parent is null ? property : parent + "." + property;
        if (!element.TryGetProperty(property, out JsonElement value) || value.ValueKind != JsonValueKind.String)
        {
            throw new RosterException($"{source}: {field}: expected a string");
        }

        string text = value.GetString()!; // not null: a JSON string
        return field.EndsWith("site", StringComparison.Ordinal) || property == "consortium" ? RequireName(text, $"{source}: {field}") : text;
    }
}
