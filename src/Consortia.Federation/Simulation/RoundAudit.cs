using Consortia.Federation.Engine;
using Consortia.Governance.Audit.Events;

namespace Consortia.Federation.Simulation;

/// <summary>Records each completed round in the coordinator's ledger (with the update hashes it received), then passes the report on.</summary>
internal sealed class RoundAudit(SimulationLedgers ledgers, string jobId, IProgress<RoundReport>? next) : IProgress<RoundReport>
{
    public void Report(RoundReport value)
    {
        ledgers.Coordinator.Append(new RoundCompletedEvent(jobId, value.Round.Value, [.. value.UpdateHashes.Select(h => new SiteUpdateHash(h.Key.Value, h.Value))]));
        next?.Report(value);
    }
}
