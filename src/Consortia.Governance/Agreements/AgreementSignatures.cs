using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;

namespace Consortia.Governance.Agreements;

/// <summary>
/// The members' signatures over an agreement, kept beside it in a JSON file (<c>agreement.signatures.json</c> for
/// <c>agreement.yaml</c>): each member signs the agreement's hash with its site's long-term key, the key of its
/// ledger and roster entry.
/// </summary>
/// <remarks>
/// A signature counts only when its key's fingerprint is the one the agreement lists for that member (the agreement
/// pins its parties' keys, so nobody can sign in a member's name) and it was made over the agreement's current hash.
/// Verification never throws for a bad signature: it reports it, and an agreement with any invalid signature is not in force.
/// </remarks>
public static class AgreementSignatures
{
    /// <summary>The format tag of the signatures file.</summary>
    public const string Format = "consortia.agreement-signatures.v1";

    /// <summary>Signatures files larger than this are refused.</summary>
    public const int MaxFileBytes = 1 << 20;

    private static readonly byte[] s_domain = Encoding.UTF8.GetBytes("consortia.agreement.v1.sign");

    /// <summary>The signatures file of an agreement file: <c>x.yaml</c> → <c>x.signatures.json</c>, in the same folder.</summary>
    /// <param name="agreementPath">The agreement file.</param>
    /// <returns>The path.</returns>
    public static string DefaultPath(string agreementPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(agreementPath);
        string folder = Path.GetDirectoryName(Path.GetFullPath(agreementPath)) ?? ".";
        return Path.Combine(folder, Path.GetFileNameWithoutExtension(agreementPath) + ".signatures.json");
    }

    /// <summary>The bytes a member signs: domain, consortium, version, agreement hash, site and time, each length-prefixed.</summary>
    /// <param name="agreement">The agreement.</param>
    /// <param name="site">The signing member's site.</param>
    /// <param name="agreementSha256">The hash signed.</param>
    /// <param name="signedAt">The signing time text.</param>
    /// <returns>The statement.</returns>
    public static byte[] Statement(ConsortiumAgreement agreement, string site, string agreementSha256, string signedAt)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        using MemoryStream buffer = new();
        WriteLp(buffer, s_domain);
        WriteLp(buffer, Encoding.UTF8.GetBytes(agreement.Name));
        WriteLp(buffer, Encoding.UTF8.GetBytes(agreement.Version.ToString(CultureInfo.InvariantCulture)));
        WriteLp(buffer, Encoding.UTF8.GetBytes(agreementSha256));
        WriteLp(buffer, Encoding.UTF8.GetBytes(site));
        WriteLp(buffer, Encoding.UTF8.GetBytes(signedAt));
        return buffer.ToArray();
    }

    /// <summary>A member's signature over the agreement.</summary>
    /// <param name="agreement">The agreement.</param>
    /// <param name="site">The signing member's site.</param>
    /// <param name="signer">The site's long-term key.</param>
    /// <param name="now">The signing time.</param>
    /// <returns>The signature.</returns>
    /// <exception cref="AgreementFileException">The site is not a member, or the key is not the one the agreement lists for it.</exception>
    public static AgreementSignature Sign(ConsortiumAgreement agreement, string site, ILedgerSigner signer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        ArgumentNullException.ThrowIfNull(signer);
        string source = agreement.SourcePath ?? agreement.Name;
        AgreementMember member = agreement.FindMember(site)
            ?? throw new AgreementFileException(source, null, null, "members", $"site '{site}' is not a member of '{agreement.Name}' (members: {string.Join(", ", agreement.Members.Select(m => m.Site))})");
        if (member.KeyFingerprint != signer.PublicKey.Fingerprint)
        {
            throw new AgreementFileException(source, null, null, "members.key", $"the agreement lists key {member.KeyFingerprint} for '{site}', but this site's key is {signer.PublicKey.Fingerprint}");
        }

        string hash = agreement.Sha256;
        string signedAt = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        byte[] signature = signer.SignHash(SHA256.HashData(Statement(agreement, site, hash, signedAt)));
        return new AgreementSignature(site, signer.PublicKey, hash, signedAt, signature);
    }

    /// <summary>Checks every signature against the agreement and counts the quorum.</summary>
    /// <param name="agreement">The agreement.</param>
    /// <param name="signatures">The signatures (from <see cref="Load"/>).</param>
    /// <param name="roster">The consortium roster the site accepted, or <see langword="null"/>. When given, a signature counts only when
    /// its key is also the key the roster lists for that member: the agreement pins keys by fingerprint, but a node trusts only the
    /// keys it accepted, so an agreement naming a key the roster does not hold cannot be put in force behind the node's back.</param>
    /// <returns>The status.</returns>
    public static AgreementStatus Verify(ConsortiumAgreement agreement, IReadOnlyList<AgreementSignature> signatures, ConsortiumRoster? roster = null)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        ArgumentNullException.ThrowIfNull(signatures);
        string hash = agreement.Sha256;
        HashSet<string> valid = new(StringComparer.Ordinal);
        List<string> invalid = [];
        foreach (AgreementSignature signature in signatures)
        {
            string? problem = Problem(agreement, hash, signature) ?? RosterProblem(roster, signature);
            if (problem is not null)
            {
                invalid.Add($"'{signature.Site}': {problem}");
            }
            else if (!valid.Add(signature.Site))
            {
                invalid.Add($"'{signature.Site}': signed twice");
            }
        }

        return new AgreementStatus(
            agreement,
            [.. agreement.Members.Select(m => m.Site).Where(valid.Contains)],
            invalid,
            [.. agreement.Members.Select(m => m.Site).Where(s => !valid.Contains(s))]);
    }

    /// <summary>Reads a signatures file; a missing file is an empty list (nobody signed yet).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The signatures, in file order.</returns>
    /// <exception cref="AgreementFileException">The file is too large or malformed; the message names the file and field.</exception>
    public static IReadOnlyList<AgreementSignature> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileInfo file = new(path);
        if (!file.Exists)
        {
            return [];
        }

        if (file.Length > MaxFileBytes)
        {
            throw new AgreementFileException(path, null, null, string.Empty, $"{file.Length} bytes; a signatures file is at most {MaxFileBytes}");
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses signatures JSON (see <see cref="Load"/>).</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">The file name, for errors.</param>
    /// <returns>The signatures.</returns>
    /// <exception cref="AgreementFileException">The text is malformed.</exception>
    public static IReadOnlyList<AgreementSignature> Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new AgreementFileException(source, (e.LineNumber ?? 0) + 1, null, string.Empty, $"not valid JSON: {e.Message}");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "format", source, "format") != Format)
            {
                throw new AgreementFileException(source, null, null, "format", $"expected a JSON object with format '{Format}'");
            }

            if (!root.TryGetProperty("signatures", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new AgreementFileException(source, null, null, "signatures", "expected a list");
            }

            List<AgreementSignature> signatures = [];
            int index = 0;
            foreach (JsonElement entry in list.EnumerateArray())
            {
                string field = $"signatures[{index++}]";
                if (entry.ValueKind != JsonValueKind.Object)
                {
                    throw new AgreementFileException(source, null, null, field, "expected an object");
                }

                try
                {
                    signatures.Add(new AgreementSignature(
                        Text(entry, "site", source, field + ".site"),
                        LedgerPublicKey.FromSubjectPublicKeyInfo(Convert.FromBase64String(Text(entry, "public_key", source, field + ".public_key"))),
                        Text(entry, "agreement_sha256", source, field + ".agreement_sha256"),
                        Text(entry, "signed_at", source, field + ".signed_at"),
                        Convert.FromHexString(Text(entry, "signature", source, field + ".signature"))));
                }
                catch (Exception e) when (e is FormatException or CryptographicException)
                {
                    throw new AgreementFileException(source, null, null, field, $"public_key must be a base64 P-256 SubjectPublicKeyInfo and signature hex: {e.Message}");
                }
            }

            return signatures;
        }
    }

    /// <summary>The signatures file's JSON: <paramref name="signatures"/>, one per site (a new signature replaces the site's earlier one).</summary>
    /// <param name="agreement">The agreement (its name and hash are written for people reading the file).</param>
    /// <param name="signatures">The signatures.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(ConsortiumAgreement agreement, IReadOnlyList<AgreementSignature> signatures)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        ArgumentNullException.ThrowIfNull(signatures);
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteString("agreement", agreement.Name);
            writer.WriteNumber("version", agreement.Version);
            writer.WriteString("agreement_sha256", agreement.Sha256);
            writer.WriteStartArray("signatures");
            foreach (AgreementSignature signature in signatures)
            {
                writer.WriteStartObject();
                writer.WriteString("site", signature.Site);
                writer.WriteString("public_key", Convert.ToBase64String(signature.PublicKey.SubjectPublicKeyInfo.Span));
                writer.WriteString("fingerprint", signature.PublicKey.Fingerprint);
                writer.WriteString("agreement_sha256", signature.AgreementSha256);
                writer.WriteString("signed_at", signature.SignedAt);
                writer.WriteString("signature", Convert.ToHexStringLower(signature.Signature.Span));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>The signatures with <paramref name="signature"/> added, replacing an earlier one of the same site.</summary>
    /// <param name="signatures">The existing signatures.</param>
    /// <param name="signature">The new signature.</param>
    /// <returns>The new list.</returns>
    public static IReadOnlyList<AgreementSignature> With(IReadOnlyList<AgreementSignature> signatures, AgreementSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signatures);
        ArgumentNullException.ThrowIfNull(signature);
        return [.. signatures.Where(s => s.Site != signature.Site), signature];
    }

    private static string? Problem(ConsortiumAgreement agreement, string hash, AgreementSignature signature)
    {
        if (agreement.FindMember(signature.Site) is not { } member)
        {
            return "not a member of the agreement";
        }

        if (member.KeyFingerprint != signature.PublicKey.Fingerprint)
        {
            return $"signed with key {signature.PublicKey.Fingerprint}, not the member's key {member.KeyFingerprint}";
        }

        if (!string.Equals(signature.AgreementSha256, hash, StringComparison.Ordinal))
        {
            return $"signed the agreement with hash {signature.AgreementSha256}, but the agreement now hashes to {hash}: it was altered after signing";
        }

        return signature.Signature.Length == 64 && signature.PublicKey.VerifyHash(SHA256.HashData(Statement(agreement, signature.Site, hash, signature.SignedAt)), signature.Signature.Span)
            ? null
            : "the signature does not verify under the member's key";
    }

    private static string? RosterProblem(ConsortiumRoster? roster, AgreementSignature signature)
    {
        if (roster is null)
        {
            return null;
        }

        if (roster.Find(signature.Site) is not { } member)
        {
            return $"the site is not in the accepted roster of '{roster.Consortium}'";
        }

        return member.PublicKey.Fingerprint == signature.PublicKey.Fingerprint
            ? null
            : $"signed with key {signature.PublicKey.Fingerprint}, but the accepted roster lists key {member.PublicKey.Fingerprint} for the site";
    }

    private static string Text(JsonElement element, string property, string source, string field) =>
        element.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 and <= 4096 } text
            ? text
            : throw new AgreementFileException(source, null, null, field, "expected a non-empty string");

    private static void WriteLp(MemoryStream buffer, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }
}
