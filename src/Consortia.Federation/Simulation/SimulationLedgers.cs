using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Learning;

namespace Consortia.Federation.Simulation;

/// <summary>The signed, hash-chained audit ledgers of a simulated run: <c>ledgers/coordinator.db</c> and one per site.</summary>
/// <remarks>
/// Each writer gets a fresh ECDSA P-256 identity; its public key is written beside its ledger
/// (<c>NAME.pub.pem</c>) so that <c>consortia audit verify --public-key</c> can pin it; the private key is kept
/// as <c>NAME.key.pem</c> (owner-only permissions) so that later runs into the same folder extend the same chain.
/// </remarks>
internal sealed class SimulationLedgers : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private SimulationLedgers(AuditLedger coordinator, AuditLedger[] sites)
    {
        Coordinator = coordinator;
        Sites = sites;
    }

    public AuditLedger Coordinator { get; }

    public AuditLedger[] Sites { get; }

    public static SimulationLedgers Create(string directory, JobDefinition job, IEnumerable<string> siteNames, TimeProvider time)
    {
        string folder = Directory.CreateDirectory(Path.Combine(directory, "ledgers")).FullName;
        List<IDisposable> owned = [];
        AuditLedger Open(string writer, LedgerRole role)
        {
            // A simulated writer's identity lives beside its ledger so a later run into the same folder appends
            // to the same chain under the same key (a deployed node keeps its ledger key in its state folder).
            EcdsaLedgerSigner signer = EcdsaLedgerSigner.LoadOrCreate(Path.Combine(folder, writer + ".key.pem"), Path.Combine(folder, writer + ".pub.pem"));
            owned.Add(signer);
            AuditLedger ledger = AuditLedger.Open(Path.Combine(folder, writer + ".db"), writer, role, signer, time);
            owned.Add(ledger);
            return ledger;
        }

        string manifest = Sha256Hex.OfText(job.SourceText ?? job.Name);
        AuditLedger coordinator = Open("coordinator", LedgerRole.Coordinator);
        AuditLedger[] sites = [.. siteNames.Select(name => Open(name, LedgerRole.Site))];
        foreach (AuditLedger ledger in sites.Prepend(coordinator))
        {
            ledger.Append(new JobReceivedEvent(job.Name, manifest, job.Consortium, job.Owner));
        }

        SimulationLedgers result = new(coordinator, sites);
        result._owned.AddRange(owned);
        return result;
    }

    public void Release(string jobId, ParameterVector model) =>
        Coordinator.Append(new ModelReleasedEvent(jobId, UpdateHash.Of(model.Values), "model.json"));

    public void Dispose()
    {
        foreach (IDisposable owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }
    }
}
