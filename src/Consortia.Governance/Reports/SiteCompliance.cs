using Consortia.Governance.Audit.Events;
using Consortia.Governance.Verification;

namespace Consortia.Governance.Reports;

/// <summary>What one site's ledger says about the job.</summary>
/// <param name="SiteId">The site.</param>
/// <param name="Ledger">The verification of its ledger, or <see langword="null"/> when no ledger was supplied.</param>
/// <param name="JobDecision">Its last job-level policy decision for the job, if any.</param>
/// <param name="RoundsAccepted">Round-level policy decisions that accepted.</param>
/// <param name="RoundRefusals">Round-level policy decisions that refused.</param>
/// <param name="RoundsTrained">Rounds it trained.</param>
/// <param name="UpdatesSent">Every update it recorded sending, in order.</param>
/// <param name="LastCharge">Its last privacy charge for the job, if any.</param>
/// <param name="CrossCheck">The cross-check of its ledger against the coordinator's, or <see langword="null"/> without a ledger.</param>
/// <remarks>Contents are taken only from a ledger that verifies; otherwise the lists are empty.</remarks>
public sealed record SiteCompliance(
    string SiteId,
    LedgerVerification? Ledger,
    PolicyDecisionEvent? JobDecision,
    int RoundsAccepted,
    IReadOnlyList<PolicyDecisionEvent> RoundRefusals,
    int RoundsTrained,
    IReadOnlyList<UpdateSentEvent> UpdatesSent,
    PrivacyChargeEvent? LastCharge,
    CrossCheckResult? CrossCheck);
