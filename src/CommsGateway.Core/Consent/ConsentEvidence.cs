namespace CommsGateway.Core.Consent;

/// <summary>
/// How the consent was obtained, to demonstrate it (GDPR art. 7(1)): who, when, how, and the exact wording
/// shown (a version id plus the SHA-256 of the text).
/// </summary>
public sealed record ConsentEvidence
{
    /// <summary>web_form, paper_form, staff_entry, sms_start, import, unsubscribe_link, sms_stop ...</summary>
    public string? Source { get; init; }

    public string? WordingVersion { get; init; }

    /// <summary>Hex SHA-256 of the exact wording shown to the patient.</summary>
    public string? WordingSha256 { get; init; }

    public string? CapturedBy { get; init; }

    public string? FormUrl { get; init; }

    public string? Ip { get; init; }

    public string? UserAgent { get; init; }

    /// <summary>True when the form's box was ticked before the patient acted: not consent (GDPR recital 32, CJEU Planet49).</summary>
    public bool PreTicked { get; init; }

    /// <summary>Extra provenance (the unsubscribe token's key id, the inbound SMS id ...).</summary>
    public IReadOnlyDictionary<string, string>? Extra { get; init; }
}
