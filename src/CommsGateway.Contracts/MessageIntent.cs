namespace CommsGateway.Contracts;

/// <summary>
/// A producer's request to send one message to one patient on one channel.
/// Published to RabbitMQ in MassTransit's envelope or as plain JSON (camelCase).
/// The declared purpose is a claim: the gateway classifies the content itself.
/// </summary>
public sealed record MessageIntent
{
    /// <summary>Producer-chosen idempotency key: the same IntentId is decided once.</summary>
    public string IntentId { get; init; } = "";

    /// <summary>The clinic.</summary>
    public string TenantId { get; init; } = "";

    /// <summary>Which system published it ("booking", "campaigns" ...).</summary>
    public string Producer { get; init; } = "";

    public string PatientId { get; init; } = "";

    public Channel Channel { get; init; }

    public Purpose DeclaredPurpose { get; init; }

    /// <summary>"appointment_reminder", "campaign", "invoice" ...</summary>
    public string Category { get; init; } = "";

    public string? CampaignId { get; init; }

    /// <summary>"fr" or "en"; defaults to the patient's preferred locale.</summary>
    public string? Locale { get; init; }

    public string? Subject { get; init; }

    public string Body { get; init; } = "";

    public string? Html { get; init; }

    /// <summary>Optional structured content, each section marked Service or Marketing.</summary>
    public IReadOnlyList<ContentBlock>? Blocks { get; init; }

    /// <summary>An explicit address; it must match the patient's record or the intent is blocked.</summary>
    public string? To { get; init; }

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Images attached; a pictured patient needs a photo_marketing grant.</summary>
    public IReadOnlyList<MediaItem>? Media { get; init; }

    /// <summary>Approved WhatsApp template (Twilio Content API) for marketing outside the 24-hour window.</summary>
    public WhatsAppTemplate? Template { get; init; }
}

public sealed record ContentBlock
{
    public Purpose Kind { get; init; }

    public string Text { get; init; } = "";

    public string? Html { get; init; }
}

public sealed record MediaItem
{
    public string Url { get; init; } = "";

    /// <summary>The patient shown in the picture (before/after photos), if any.</summary>
    public string? PicturedPatientId { get; init; }
}

public sealed record WhatsAppTemplate
{
    public string ContentSid { get; init; } = "";

    public IReadOnlyDictionary<string, string>? Variables { get; init; }

    /// <summary>
    /// The content variable (e.g. "3") in which this template shows the unsubscribe link. The gateway fills it with
    /// the patient's signed link; marketing through a template that names none is blocked (TemplateLacksUnsubscribe).
    /// </summary>
    public string? UnsubscribeVariable { get; init; }
}
