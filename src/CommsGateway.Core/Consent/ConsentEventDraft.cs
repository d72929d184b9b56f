using CommsGateway.Contracts;

namespace CommsGateway.Core.Consent;

/// <summary>One validated ledger event: exactly one (purpose, channel[, placement]).</summary>
public sealed record ConsentEventDraft(
    string TenantId,
    string PatientId,
    ConsentAction Action,
    ConsentPurpose Purpose,
    Channel? Channel,
    PhotoPlacement? Placement,
    DateTimeOffset OccurredAt,
    ConsentEvidence Evidence);
