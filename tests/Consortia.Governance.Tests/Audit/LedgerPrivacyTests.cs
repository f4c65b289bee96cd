using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Governance.Tests.Audit;

public sealed class LedgerPrivacyTests
{
    [Fact]
    public void LifetimeEpsilon_TwoJobs_AddsEachJobsLastCumulativeEpsilon()
    {
        using TempDirectory dir = new();
        using EcdsaLedgerSigner signer = EcdsaLedgerSigner.Generate();
        using AuditLedger ledger = AuditLedger.Open(dir.File("s.ledger"), "s", LedgerRole.Site, signer, new FakeTimeProvider());
        ledger.Append(new PrivacyChargeEvent("a", 1, DpMode.ClientLevel, 0.5, 1e-6));
        ledger.Append(new PrivacyChargeEvent("b", 1, DpMode.SampleLevel, 1.0, 1e-6));
        ledger.Append(new PrivacyChargeEvent("a", 2, DpMode.ClientLevel, 0.8, 1e-6));
        ledger.Append(new RoundTrainedEvent("a", 2, 10));

        IReadOnlyList<LedgerEntry> entries = ledger.ReadEntries();

        Assert.Equal(1.8, LedgerPrivacy.LifetimeEpsilon(entries), 12);
        Assert.Equal(0.8, LedgerPrivacy.JobEpsilon(entries, "a"));
        Assert.Equal(0, LedgerPrivacy.JobEpsilon(entries, "c"));
    }
}
