using CommsGateway.Contracts;

namespace CommsGateway.Core.Consent;

/// <summary>What a consent grant or withdrawal is about. One ledger event covers exactly one (purpose, channel).</summary>
public enum ConsentPurpose
{
    Marketing,

    /// <summary>A patient refusing (or re-allowing) a channel for service messages too ("no WhatsApp").</summary>
    Service,

    /// <summary>Using the patient's before/after photos in marketing, for one named placement.</summary>
    PhotoMarketing,
}

public enum PhotoPlacement
{
    Newsletter,
    SocialMedia,
    Website,
    Flyer,
    Billboard,
    Other,
}

/// <summary>The patient's contact point as the directory holds it (addresses already normalised).</summary>
public sealed record ContactPoint(
    string TenantId,
    string PatientId,
    string? Email,
    string? Phone,
    string? WhatsApp,
    string Locale,
    string TimeZone,
    DateTimeOffset? LastInteractionAt)
{
    public string? FirstName { get; init; }

    public string? LastName { get; init; }

    /// <summary>The address this channel would use, or null when the patient has none for it.</summary>
    public string? AddressFor(Channel channel) => channel switch
    {
        Channel.Email => Email,
        Channel.Sms => Phone,
        Channel.WhatsApp => WhatsApp ?? Phone,
        _ => null,
    };
}

/// <summary>The latest ledger event for one (purpose, channel[, placement]): the current state derives from it.</summary>
public sealed record ConsentState(
    long EventId,
    ConsentPurpose Purpose,
    Channel Channel,
    PhotoPlacement? Placement,
    bool Granted,
    DateTimeOffset OccurredAt);

/// <summary>Current consent states of one patient, derived from the ledger (never edited by hand).</summary>
public sealed record ConsentSnapshot(IReadOnlyList<ConsentState> States)
{
    public static readonly ConsentSnapshot Empty = new([]);

    public ConsentState? Find(ConsentPurpose purpose, Channel channel, PhotoPlacement? placement = null) =>
        States.FirstOrDefault(s => s.Purpose == purpose && s.Channel == channel && s.Placement == placement);

    /// <summary>Photo consent is per placement, not per channel: any channel's grant for the placement counts.</summary>
    public ConsentState? FindPhoto(PhotoPlacement placement) =>
        States.Where(s => s.Purpose == ConsentPurpose.PhotoMarketing && s.Placement == placement)
            .OrderByDescending(s => s.OccurredAt).ThenByDescending(s => s.EventId).FirstOrDefault();
}
