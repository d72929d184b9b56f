namespace CommsGateway.Core.Consent;

/// <summary>
/// What a consent-ledger event proves, as stored (wire names): who, what, when, how, which wording, who recorded it.
/// Known before the event is appended; the ledger adds its id, its recorded time and its place in the chain
/// (<see cref="ConsentChainEntry"/>). Provenance that erasure may blank (IP, user agent, form URL, extra evidence) is
/// not part of it.
/// </summary>
public sealed record ConsentEventFacts(
    string TenantId,
    string PatientId,
    string Purpose,
    string? Channel,
    string? Placement,
    string Action,
    DateTimeOffset OccurredAt,
    string Source,
    string? WordingVersion,
    string? WordingSha256,
    string? CapturedBy,
    string RecordedBy);
