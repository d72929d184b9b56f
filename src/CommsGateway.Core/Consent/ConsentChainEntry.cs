using CommsGateway.Core.Audit;

namespace CommsGateway.Core.Consent;

/// <summary>
/// A consent-ledger event as its tenant's hash chain sees it (<see cref="ChainHash"/>, the decision log's encoding):
/// what proves consent (who, what, when, how, which wording, its place in the chain) and not the provenance erasure may
/// blank (IP, user agent, form URL, extra evidence), so an erasure (GDPR art. 17) leaves the chain intact. Names are the
/// stored (wire) names.
/// </summary>
public sealed record ConsentChainEntry(
    long ChainSeq,
    long EventId,
    string TenantId,
    string PatientId,
    string Purpose,
    string? Channel,
    string? Placement,
    string Action,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt,
    string Source,
    string? WordingVersion,
    string? WordingSha256,
    string? CapturedBy,
    string RecordedBy)
{
    /// <summary>The fields in their fixed order; a change of fields or order needs a new chain version.</summary>
    public CanonicalFields Canonical() => new CanonicalFields()
        .Int64("chain_seq", ChainSeq)
        .Int64("event_id", EventId)
        .Text("tenant_id", TenantId)
        .Text("patient_id", PatientId)
        .Text("purpose", Purpose)
        .Text("channel", Channel)
        .Text("placement", Placement)
        .Text("action", Action)
        .Timestamp("occurred_at", OccurredAt)
        .Timestamp("recorded_at", RecordedAt)
        .Text("source", Source)
        .Text("wording_version", WordingVersion)
        .Text("wording_sha256", WordingSha256)
        .Text("captured_by", CapturedBy)
        .Text("recorded_by", RecordedBy);
}
