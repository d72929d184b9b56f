using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Rendering;

/// <summary>What to render: the message as the producer wrote it, its DETECTED purpose, and the unsubscribe means.</summary>
public sealed record RenderRequest(
    Channel Channel,
    Purpose DetectedPurpose,
    UnsubscribeLocale Locale,
    string? Subject,
    string Body,
    string? Html)
{
    /// <summary>The signed https link (…/u/{token}); required when the detected purpose is marketing.</summary>
    public Uri? UnsubscribeUrl { get; init; }

    /// <summary>The signed preference-centre link (…/p/{token}); email footers show it beside the unsubscribe link.</summary>
    public Uri? PreferencesUrl { get; init; }

    /// <summary>Optional RFC 2369 mailto alternative for List-Unsubscribe (e.g. "unsubscribe@clinic.example").</summary>
    public string? UnsubscribeMailto { get; init; }

    /// <summary>The clinic's display name, named in the email footer.</summary>
    public string? ClinicName { get; init; }

    /// <summary>The most SMS segments a marketing SMS may take, footer included (Twilio's own cap is 10).</summary>
    public int MaxSmsSegments { get; init; } = 10;
}

/// <summary>
/// The message as it will be handed to the provider. <see cref="FooterFits"/> false means the unsubscribe footer
/// would push the message past its channel's limit: it must NOT be sent as is (the policy blocks it with
/// <see cref="ReasonCodes.FooterExceedsLimit"/>); the text then holds the over-long version, for the record.
/// </summary>
public sealed record RenderedMessage(
    string? Subject,
    string Text,
    string? Html,
    IReadOnlyDictionary<string, string> Headers)
{
    public bool FooterAdded { get; init; }

    /// <summary>The signed link the footer carries (marketing only): a WhatsApp template shows it in its own variable.</summary>
    public Uri? UnsubscribeUrl { get; init; }

    public bool FooterFits { get; init; } = true;

    /// <summary>SMS only: segments of the final text, and of the body alone (what the footer cost).</summary>
    public SmsSegmentCount? Segments { get; init; }

    public SmsSegmentCount? SegmentsWithoutFooter { get; init; }
}
