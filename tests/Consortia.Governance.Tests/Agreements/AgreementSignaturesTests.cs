using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.TestKit;

namespace Consortia.Governance.Tests.Agreements;

public sealed class AgreementSignaturesTests : IDisposable
{
    private readonly Support.TempDirectory _dir = new();
    private readonly AgreementKit _kit;

    public AgreementSignaturesTests() => _kit = new AgreementKit(_dir.Path);

    public void Dispose()
    {
        _kit.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Sha256_IsTheHashOfTheCanonicalJson_AndIgnoresCommentsAndLayout()
    {
        ConsortiumAgreement original = _kit.Agreement;
        string text = File.ReadAllText(_kit.Path);
        ConsortiumAgreement reformatted = AgreementLoader.Parse("# a new comment\n" + text.Replace("models: [logistic, mlp]", "models:\n    - logistic\n    - mlp", StringComparison.Ordinal), "other.yaml");

        Assert.Equal(Sha256Hex.OfText(original.ToCanonicalJson()), original.Sha256);
        Assert.Equal(original.Sha256, reformatted.Sha256);
        Assert.StartsWith("{\"data_categories\":", original.ToCanonicalJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("epsilon_per_job: 8.0", "epsilon_per_job: 9.0")]
    [InlineData("coronary artery disease from", "coronary artery diseases from")]
    [InlineData("organisation: VA Medical", "organisation: VB Medical")]
    [InlineData("until: 2028-12-31", "until: 2028-12-30")]
    [InlineData("min_cell_count: 10", "min_cell_count: 11")]
    public void Verify_OneByteOfASignedAgreementChanged_EverySignatureIsInvalidAndItIsNotInForce(string original, string changed)
    {
        _kit.Sign();
        Assert.True(_kit.Status().InForce(AgreementKit.During));

        _kit.Edit(original, changed);
        AgreementStatus status = _kit.Status();

        Assert.False(status.QuorumSigned);
        Assert.False(status.InForce(AgreementKit.During));
        Assert.Empty(status.Valid);
        Assert.Equal(4, status.Invalid.Count);
        Assert.All(status.Invalid, problem => Assert.Contains("it was altered after signing", problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_QuorumAll_NeedsEveryMember()
    {
        _kit.Sign("cleveland", "hungarian", "switzerland");

        AgreementStatus status = _kit.Status();

        Assert.False(status.QuorumSigned);
        Assert.Equal(["cleveland", "hungarian", "switzerland"], status.Valid);
        Assert.Equal(["va"], status.Missing);
        Assert.Contains("missing: va", status.DescribeSignatures(), StringComparison.Ordinal);
        Assert.True(_kit.Sign("va").Status().QuorumSigned);
    }

    [Fact]
    public void Verify_NumericQuorum_IsInForceOnceReached_AndOnlyWithinTheValidityDates()
    {
        _kit.Edit("quorum: all", "quorum: 3");
        _kit.Sign("cleveland", "va");
        Assert.False(_kit.Status().QuorumSigned);

        AgreementStatus status = _kit.Sign("switzerland").Status();

        Assert.True(status.QuorumSigned);
        Assert.True(status.InForce(AgreementKit.During));
        Assert.True(status.InForce(new DateTimeOffset(2028, 12, 31, 23, 59, 0, TimeSpan.Zero)));
        Assert.False(status.InForce(new DateTimeOffset(2029, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.False(status.InForce(new DateTimeOffset(2025, 12, 31, 23, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Sign_WithAKeyTheAgreementDoesNotListForTheSite_IsRefused()
    {
        using EcdsaLedgerSigner stranger = EcdsaLedgerSigner.Generate();

        AgreementFileException error = Assert.Throws<AgreementFileException>(() => AgreementSignatures.Sign(_kit.Agreement, "va", stranger, AgreementKit.During));
        AgreementFileException notMember = Assert.Throws<AgreementFileException>(() => AgreementSignatures.Sign(_kit.Agreement, "pharma", _kit.Key("va"), AgreementKit.During));

        Assert.Contains("the agreement lists key", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a member", notMember.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ForgedSignatures_DoNotCount()
    {
        _kit.Sign();
        ConsortiumAgreement agreement = _kit.Agreement;
        using EcdsaLedgerSigner stranger = EcdsaLedgerSigner.Generate();
        IReadOnlyList<AgreementSignature> signatures = AgreementSignatures.Load(_kit.SignaturesPath);
        AgreementSignature va = signatures.Single(s => s.Site == "va");
        byte[] tampered = va.Signature.ToArray();
        tampered[10] ^= 1;
        AgreementSignature otherKey = va with { PublicKey = stranger.PublicKey };
        AgreementSignature flipped = va with { Signature = tampered };
        AgreementSignature cleveland = signatures.Single(s => s.Site == "cleveland");
        AgreementSignature renamed = cleveland with { Site = "va" }; // cleveland's signature presented as va's

        Assert.Contains("not the member's key", Assert.Single(AgreementSignatures.Verify(agreement, [otherKey]).Invalid), StringComparison.Ordinal);
        Assert.Contains("does not verify", Assert.Single(AgreementSignatures.Verify(agreement, [flipped]).Invalid), StringComparison.Ordinal);
        Assert.Contains("not the member's key", Assert.Single(AgreementSignatures.Verify(agreement, [renamed]).Invalid), StringComparison.Ordinal);
        Assert.False(AgreementSignatures.Verify(agreement, [.. signatures.Where(s => s.Site != "va"), flipped]).QuorumSigned);
    }

    [Fact]
    public void Verify_AgainstTheAcceptedRoster_ASignatureByAKeyTheRosterDoesNotListForTheMemberDoesNotCount()
    {
        _kit.Sign();
        ConsortiumAgreement agreement = _kit.Agreement;
        IReadOnlyList<AgreementSignature> signatures = AgreementSignatures.Load(_kit.SignaturesPath);
        using EcdsaLedgerSigner rosterKeyOfVa = EcdsaLedgerSigner.Generate();
        ConsortiumRoster withoutVa = ConsortiumRoster.Empty(agreement.Name);
        foreach (string site in new[] { "cleveland", "hungarian", "switzerland" })
        {
            withoutVa = withoutVa.With(ConsortiumRoster.Join(agreement.Name, site, _kit.Key(site)));
        }

        ConsortiumRoster full = withoutVa.With(ConsortiumRoster.Join(agreement.Name, "va", _kit.Key("va")));
        ConsortiumRoster otherKey = withoutVa.With(ConsortiumRoster.Join(agreement.Name, "va", rosterKeyOfVa));

        AgreementStatus accepted = AgreementSignatures.Verify(agreement, signatures, full);
        AgreementStatus differs = AgreementSignatures.Verify(agreement, signatures, otherKey);
        AgreementStatus absent = AgreementSignatures.Verify(agreement, signatures, withoutVa);

        Assert.True(accepted.QuorumSigned);
        Assert.False(differs.QuorumSigned);
        Assert.Equal(["cleveland", "hungarian", "switzerland"], differs.Valid);
        Assert.Contains($"the accepted roster lists key {rosterKeyOfVa.PublicKey.Fingerprint}", Assert.Single(differs.Invalid), StringComparison.Ordinal);
        Assert.False(absent.QuorumSigned);
        Assert.Contains("not in the accepted roster of 'heart-consortium'", Assert.Single(absent.Invalid), StringComparison.Ordinal);
    }

    [Fact]
    public void SignaturesFile_RoundTrips_AndASecondSignatureOfASiteReplacesTheFirst()
    {
        _kit.Sign("cleveland").Sign("cleveland", "va");

        IReadOnlyList<AgreementSignature> signatures = AgreementSignatures.Load(_kit.SignaturesPath);

        Assert.Equal(["cleveland", "va"], signatures.Select(s => s.Site));
        Assert.Equal(_kit.Agreement.Sha256, signatures[0].AgreementSha256);
        Assert.Equal(_kit.Key("va").PublicKey, signatures[1].PublicKey);
        Assert.Equal(AgreementSignatures.DefaultPath(_kit.Path), Path.Combine(_dir.Path, "cardiology-agreement.signatures.json"));
    }

    [Fact]
    public void Parse_MalformedSignaturesFile_NamesTheField()
    {
        AgreementFileException error = Assert.Throws<AgreementFileException>(() => AgreementSignatures.Parse("""{"format":"consortia.agreement-signatures.v1","signatures":[{"site":"va"}]}""", "x.json"));

        Assert.Equal("signatures[0].public_key", error.Field);
        Assert.Empty(AgreementSignatures.Load(_dir.File("absent.json")));
    }
}
