using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;

namespace Consortia.TestKit;

/// <summary>
/// The example agreements of examples/virtual-consortia made signable in a test: their placeholder member keys are
/// replaced by freshly generated site keys, and members sign into the sidecar file as <c>consortia agreement sign</c> does.
/// </summary>
public sealed class AgreementKit : IDisposable
{
    /// <summary>A day inside the example agreements' validity (2026-01-01 to 2028-12-31).</summary>
    public static readonly DateTimeOffset During = new(2027, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, EcdsaLedgerSigner> _keys = new(StringComparer.Ordinal);

    /// <summary>Copies the example <paramref name="example"/> (e.g. <c>cardiology-agreement.yaml</c>) into <paramref name="folder"/> with a new key per member.</summary>
    /// <param name="folder">Where to write the agreement.</param>
    /// <param name="example">The example file name under examples/virtual-consortia.</param>
    public AgreementKit(string folder, string example = "cardiology-agreement.yaml")
    {
        string source = RepositoryPaths.Combine("examples", "virtual-consortia", example);
        string text = File.ReadAllText(source);
        foreach (AgreementMember member in AgreementLoader.Parse(text, source).Members)
        {
            EcdsaLedgerSigner key = EcdsaLedgerSigner.Generate();
            _keys[member.Site] = key;
            text = text.Replace(member.KeyFingerprint, key.PublicKey.Fingerprint, StringComparison.Ordinal);
        }

        Path = System.IO.Path.Combine(folder, example);
        File.WriteAllText(Path, text);
    }

    /// <summary>The agreement file.</summary>
    public string Path { get; }

    /// <summary>Its signatures file (beside it).</summary>
    public string SignaturesPath => AgreementSignatures.DefaultPath(Path);

    /// <summary>The agreement as it is on disk now.</summary>
    public ConsortiumAgreement Agreement => AgreementLoader.Load(Path);

    /// <summary>The signing key of a member's site.</summary>
    /// <param name="site">The site.</param>
    /// <returns>The key.</returns>
    public EcdsaLedgerSigner Key(string site) => _keys[site];

    /// <summary>The members sign the agreement as it is on disk now (all members when none are named).</summary>
    /// <param name="sites">The signing sites.</param>
    /// <returns>This kit.</returns>
    public AgreementKit Sign(params string[] sites)
    {
        ConsortiumAgreement agreement = Agreement;
        IReadOnlyList<AgreementSignature> signatures = AgreementSignatures.Load(SignaturesPath);
        foreach (string site in sites.Length == 0 ? agreement.Members.Select(m => m.Site) : sites)
        {
            signatures = AgreementSignatures.With(signatures, AgreementSignatures.Sign(agreement, site, _keys[site], During));
        }

        File.WriteAllText(SignaturesPath, AgreementSignatures.ToJson(agreement, signatures));
        return this;
    }

    /// <summary>The agreement and its signatures, verified.</summary>
    /// <returns>The status.</returns>
    public AgreementStatus Status() => AgreementSignatures.Verify(Agreement, AgreementSignatures.Load(SignaturesPath));

    /// <summary>Replaces <paramref name="original"/> (which must occur) by <paramref name="replacement"/> in the agreement file.</summary>
    /// <param name="original">Text of the file.</param>
    /// <param name="replacement">Its replacement.</param>
    public void Edit(string original, string replacement)
    {
        string text = File.ReadAllText(Path);
        if (!text.Contains(original, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"'{original}' is not in {Path}");
        }

        File.WriteAllText(Path, text.Replace(original, replacement, StringComparison.Ordinal));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (EcdsaLedgerSigner key in _keys.Values)
        {
            key.Dispose();
        }
    }
}
