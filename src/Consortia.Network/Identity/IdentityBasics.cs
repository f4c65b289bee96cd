using System.Globalization;
using System.Text;

namespace Consortia.Network.Identity;

/// <summary>Refused identity operations (provisioning, tokens, enrollment, loading an identity folder).</summary>
public sealed class IdentityException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IdentityException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public IdentityException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public IdentityException()
    {
    }
}

/// <summary>The file names of a coordinator home and of a site identity folder.</summary>
public static class IdentityFiles
{
    /// <summary>The consortium CA certificate (coordinator home and site identity folder).</summary>
    public const string CaCertificate = "ca.crt.pem";

    /// <summary>The consortium CA private key (coordinator home only; mode 0600).</summary>
    public const string CaKey = "ca.key.pem";

    /// <summary>The coordinator's TLS server certificate.</summary>
    public const string CoordinatorCertificate = "coordinator.crt.pem";

    /// <summary>The coordinator's TLS private key (mode 0600).</summary>
    public const string CoordinatorKey = "coordinator.key.pem";

    /// <summary>The admin API's bearer credential (mode 0600).</summary>
    public const string AdminToken = "admin.token";

    /// <summary>Enrollment tokens (hashed), issued certificates and revocations (SQLite).</summary>
    public const string Database = "identity.db";

    /// <summary>The site's client certificate.</summary>
    public const string SiteCertificate = "site.crt.pem";

    /// <summary>The site's private key (mode 0600; never leaves the site).</summary>
    public const string SiteKey = "site.key.pem";

    /// <summary>The files a coordinator home is made of.</summary>
    public static IReadOnlyList<string> CoordinatorHome { get; } = [CaCertificate, CaKey, CoordinatorCertificate, CoordinatorKey, AdminToken, Database];

    /// <summary>The files a site identity folder is made of.</summary>
    public static IReadOnlyList<string> SiteIdentity { get; } = [SiteKey, SiteCertificate, CaCertificate];

    /// <summary>Creates <paramref name="path"/> (it must not exist) with <paramref name="text"/>; mode 0600 when <paramref name="secret"/>, else 0644.</summary>
    internal static void WriteNew(string path, string text, bool secret)
    {
        FileStreamOptions options = new() { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = secret
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        using FileStream stream = new(path, options);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>The suffix of a file written by <see cref="ReplaceSiteIdentity"/> and not yet moved in place.</summary>
    internal const string NextSuffix = ".next";

    /// <summary>
    /// Replaces the site's key and certificate in <paramref name="folder"/> so that a crash at any point leaves a
    /// matching pair: both new files are written in full first (certificate, then key), then moved in place (key,
    /// then certificate); <see cref="CompleteReplacement"/> finishes an interrupted replacement when the folder is
    /// next loaded.
    /// </summary>
    internal static void ReplaceSiteIdentity(string folder, string keyPem, string certificatePem)
    {
        string key = Path.Combine(folder, SiteKey);
        string certificate = Path.Combine(folder, SiteCertificate);
        File.Delete(key + NextSuffix);
        File.Delete(certificate + NextSuffix);
        WriteNew(certificate + NextSuffix, certificatePem, secret: false);
        WriteNew(key + NextSuffix, keyPem, secret: true);
        File.Move(key + NextSuffix, key, overwrite: true);
        File.Move(certificate + NextSuffix, certificate, overwrite: true);
    }

    /// <summary>Finishes a replacement <see cref="ReplaceSiteIdentity"/> began and a crash interrupted.</summary>
    /// <returns>Whether a replacement was finished or discarded.</returns>
    internal static bool CompleteReplacement(string folder)
    {
        string key = Path.Combine(folder, SiteKey);
        string certificate = Path.Combine(folder, SiteCertificate);
        bool nextKey = File.Exists(key + NextSuffix);
        bool nextCertificate = File.Exists(certificate + NextSuffix);
        if (nextKey && nextCertificate)
        {
            // Both written in full (the key is written last): move both.
            File.Move(key + NextSuffix, key, overwrite: true);
            File.Move(certificate + NextSuffix, certificate, overwrite: true);
            return true;
        }

        if (nextCertificate)
        {
            // Either the key was moved already (finish: the certificate matches the key in place) or the crash
            // came while the key was being written (discard: the old pair is intact).
            try
            {
                using System.Security.Cryptography.X509Certificates.X509Certificate2 pair = ConsortiumPki.LoadWithKey(certificate + NextSuffix, key);
                File.Move(certificate + NextSuffix, certificate, overwrite: true);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                File.Delete(certificate + NextSuffix);
            }

            return true;
        }

        return false;
    }

    /// <summary>Restricts an existing file to its owner (0600).</summary>
    internal static void RestrictToOwner(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}

/// <summary>Site names as they appear in certificates and tokens.</summary>
public static class SiteNames
{
    /// <summary>The longest site name (a DNS label).</summary>
    public const int MaxLength = 63;

    /// <summary>Whether <paramref name="name"/> is 1–63 characters of lowercase letters, digits and '-'.</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws unless <paramref name="name"/> is a valid site name.</summary>
    /// <exception cref="IdentityException">The name is not valid.</exception>
    public static string Validate(string? name) => IsValid(name)
        ? name!
        : throw new IdentityException($"invalid site name '{name}': expected 1-{MaxLength} characters of lowercase letters, digits and '-'");
}

/// <summary>Durations written as a number and a unit: <c>90s</c>, <c>30m</c>, <c>24h</c>, <c>7d</c>.</summary>
public static class IdentityDuration
{
    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="IdentityException">The text is not a positive duration.</exception>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (trimmed.Length >= 2
            && double.TryParse(trimmed.AsSpan(0, trimmed.Length - 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            && value > 0 && double.IsFinite(value))
        {
            TimeSpan? span = trimmed[^1] switch
            {
                's' => TimeSpan.FromSeconds(value),
                'm' => TimeSpan.FromMinutes(value),
                'h' => TimeSpan.FromHours(value),
                'd' => TimeSpan.FromDays(value),
                _ => null,
            };
            if (span is { } result)
            {
                return result;
            }
        }

        throw new IdentityException($"invalid duration '{text}': expected a positive number and a unit (s, m, h, d), e.g. 24h");
    }
}
