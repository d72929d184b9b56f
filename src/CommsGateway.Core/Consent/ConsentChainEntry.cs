using CommsGateway.Core.Audit;

namespace CommsGateway.Core.Consent;

/// <summary>
/// A consent-ledger event as its tenant's hash chain sees it (<see cref="ChainHash"/>, the decision log's encoding):
/// its place in the chain, its id, when it was recorded and the facts that prove consent, but not the provenance
/// erasure may blank, so an erasure (GDPR art. 17) leaves the chain intact.
/// </summary>
public sealed record ConsentChainEntry(long ChainSeq, long EventId, DateTimeOffset RecordedAt, ConsentEventFacts Facts)
{
    /// <summary>The fields in their fixed order; a change of fields or order needs a new chain version.</summary>
    public CanonicalFields Canonical() => new CanonicalFields()
        .Int64("chain_seq", ChainSeq)
        .Int64("event_id", EventId)
        .Text("tenant_id", Facts.TenantId)
        .Text("patient_id", Facts.PatientId)
        .Text("purpose", Facts.Purpose)
        .Text("channel", Facts.Channel)
        .Text("placement", Facts.Placement)
        .Text("action", Facts.Action)
        .Timestamp("occurred_at", Facts.OccurredAt)
        .Timestamp("recorded_at", RecordedAt)
        .Text("source", Facts.Source)
        .Text("wording_version", Facts.WordingVersion)
        .Text("wording_sha256", Facts.WordingSha256)
        .Text("captured_by", Facts.CapturedBy)
        .Text("recorded_by", Facts.RecordedBy);
}
