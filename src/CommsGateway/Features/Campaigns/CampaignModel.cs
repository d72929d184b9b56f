using CommsGateway.Contracts;
using CommsGateway.Core.Consent;

namespace CommsGateway.Features.Campaigns;

/// <summary>
/// What marketing staff send to create (and queue) or preview a campaign. Templates and subjects by locale ("fr", "en");
/// the audience is either <see cref="PatientIds"/> (a CSV of ids) or every patient with a marketing grant on
/// <see cref="AudienceChannel"/>.
/// </summary>
public sealed record CampaignDefinition
{
    public string? Name { get; init; }

    public Dictionary<string, string>? Templates { get; init; }

    /// <summary>Email subjects by locale (Liquid too).</summary>
    public Dictionary<string, string>? Subjects { get; init; }

    /// <summary>One channel, or an ordered preference: "whatsapp", "sms", "email".</summary>
    public IReadOnlyList<string>? Channels { get; init; }

    public IReadOnlyList<string>? PatientIds { get; init; }

    public string? AudienceChannel { get; init; }

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 200)
        {
            errors.Add("name is required (at most 200 characters)");
        }

        if (Templates is not { Count: > 0 } || Templates.Keys.Any(k => k is not ("fr" or "en")) || Templates.Values.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("templates: give a non-empty template for \"fr\" and/or \"en\"");
        }

        if (Subjects?.Keys.Any(k => k is not ("fr" or "en")) == true)
        {
            errors.Add("subjects: only \"fr\" and \"en\" are supported");
        }

        var channels = ParsedChannels();
        if (channels is null)
        {
            errors.Add("channels: one to three distinct channels among email, sms, whatsapp, in order of preference");
        }
        else if (channels.Contains(Channel.Email) && Subjects is not { Count: > 0 })
        {
            errors.Add("subjects: an email campaign needs a subject");
        }

        var byIds = PatientIds is { Count: > 0 };
        var byConsent = !string.IsNullOrWhiteSpace(AudienceChannel);
        if (byIds == byConsent)
        {
            errors.Add("audience: give either patientIds (a list of patient ids) or audienceChannel (all patients with marketing consent on it)");
        }
        else if (byConsent && ConsentNames.ParseChannel(AudienceChannel) is null)
        {
            errors.Add("audienceChannel: email, sms or whatsapp");
        }

        if (PatientIds?.Any(p => string.IsNullOrWhiteSpace(p) || p.Length > 100) == true)
        {
            errors.Add("patientIds: every id must be non-empty (at most 100 characters)");
        }

        if (NotBefore is { } notBefore && ExpiresAt is { } expiresAt && expiresAt <= notBefore)
        {
            errors.Add("expiresAt must be after notBefore");
        }

        return errors;
    }

    public IReadOnlyList<Channel>? ParsedChannels()
    {
        if (Channels is not { Count: >= 1 and <= 3 })
        {
            return null;
        }

        var parsed = Channels.Select(c => ConsentNames.ParseChannel(c)).ToList();
        return parsed.Any(c => c is null) || parsed.Distinct().Count() != parsed.Count ? null : [.. parsed.Select(c => c!.Value)];
    }
}

/// <summary>A stored campaign.</summary>
public sealed record Campaign(
    string CampaignId,
    string TenantId,
    string ClinicName,
    string Status,
    CampaignDefinition Definition,
    int RecipientCount,
    int QueuedCount,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? QueuedAt,
    DateTimeOffset? CancelledAt);

/// <summary>One recipient's message, ready to publish; the gateway decides it again when it arrives.</summary>
public sealed record CampaignMessage(MessageIntent Intent, bool LiveGrant, string Text);

/// <summary>All messages of a campaign, or why it cannot be queued (placeholder problems, by template line).</summary>
public sealed record PreparedCampaign(
    IReadOnlyList<CampaignMessage> Messages,
    IReadOnlyList<string> Problems,
    int AudienceSize,
    IReadOnlyList<string> UnknownPatientIds);
