using System.Globalization;
using CommsGateway.Contracts;

namespace CommsGateway.Core.Consent;

public enum ConsentAction
{
    Grant,
    Withdraw,
}

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

/// <summary>A request to record consent, as a caller sends it: it may (wrongly) name several purposes or channels.</summary>
public sealed record ConsentCommand
{
    public string TenantId { get; init; } = "";

    public string PatientId { get; init; } = "";

    public ConsentAction Action { get; init; }

    public IReadOnlyList<string> Purposes { get; init; } = [];

    public IReadOnlyList<string> Channels { get; init; } = [];

    public string? Placement { get; init; }

    /// <summary>When the patient gave or withdrew it; defaults to now.</summary>
    public DateTimeOffset? OccurredAt { get; init; }

    public ConsentEvidence Evidence { get; init; } = new();
}

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

public sealed record ConsentError(string Code, string Message);

/// <summary>Stable error codes of refused consent requests (API problem details, CLI messages).</summary>
public static class ConsentErrorCodes
{
    public const string Bundled = "ConsentBundled";
    public const string PreTicked = "ConsentPreTicked";
    public const string EvidenceMissing = "ConsentEvidenceMissing";
    public const string PlacementRequired = "PhotoPlacementRequired";
    public const string InvalidField = "InvalidField";
    public const string OccursInFuture = "ConsentInFuture";
    public const string EvidenceTooLarge = "ConsentEvidenceTooLarge";
}

/// <summary>
/// Bounds of the evidence kept with a consent event. The ledger is append-only and kept for years: evidence is
/// proof (which form, which wording, who captured it), not storage, so an oversized one is refused, not truncated.
/// </summary>
public static class ConsentEvidenceLimits
{
    /// <summary>UTF-8 bytes of every evidence field, extra's keys and values included.</summary>
    public const int MaxBytes = 8 * 1024;

    public const int MaxExtraKeys = 64;

    public const int MaxKeyLength = 64;

    /// <summary>Nesting depth of the evidence object: evidence (1), extra (2), a string value (3); nothing deeper is read.</summary>
    public const int MaxDepth = 4;

    /// <summary>Every limit the evidence breaks, naming it.</summary>
    public static IReadOnlyList<ConsentError> Check(ConsentEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var errors = new List<ConsentError>();
        var extra = evidence.Extra ?? new Dictionary<string, string>();
        if (extra.Count > MaxExtraKeys)
        {
            errors.Add(new(ConsentErrorCodes.EvidenceTooLarge, $"evidence.extra has {extra.Count} keys; the limit is {MaxExtraKeys}"));
        }

        if (extra.Keys.FirstOrDefault(k => k.Length > MaxKeyLength || Validation.Identifiers.FirstForbidden(k) is not null) is { } badKey)
        {
            errors.Add(new(ConsentErrorCodes.EvidenceTooLarge,
                $"evidence.extra keys are at most {MaxKeyLength} characters without control, bidi or zero-width characters ('{badKey[..Math.Min(badKey.Length, 20)]}...')"));
        }

        long bytes = 0;
        foreach (var text in new[] { evidence.Source, evidence.WordingVersion, evidence.WordingSha256, evidence.CapturedBy, evidence.FormUrl, evidence.Ip, evidence.UserAgent })
        {
            bytes += System.Text.Encoding.UTF8.GetByteCount(text ?? "");
        }

        foreach (var (key, value) in extra)
        {
            bytes += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value ?? "");
            if (bytes > 100 * MaxBytes)
            {
                break; // far over already: no need to count 200,000 keys
            }
        }

        if (bytes > MaxBytes)
        {
            errors.Add(new(ConsentErrorCodes.EvidenceTooLarge, $"evidence is {(bytes > 100 * MaxBytes ? "over " : "")}{bytes} bytes; the limit is {MaxBytes} bytes"));
        }

        return errors;
    }
}

/// <summary>
/// Unbundled, affirmative, demonstrable consent only (GDPR art. 4(11), 7(1), 7(2); CNIL): a grant covers exactly
/// one purpose and one channel, carries its evidence, and was not pre-ticked. A withdrawal must be as easy as
/// a grant (art. 7(3)): it needs only a source, and may name several channels at once (one event each).
/// </summary>
public static class ConsentRules
{
    /// <summary>Clock skew tolerated between the capturing system and the gateway.</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    public static (IReadOnlyList<ConsentEventDraft> Events, IReadOnlyList<ConsentError> Errors) Validate(ConsentCommand command, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        var errors = new List<ConsentError>();
        var evidence = command.Evidence ?? new ConsentEvidence();
        var purposes = command.Purposes.Where(p => !string.IsNullOrWhiteSpace(p)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var channels = command.Channels.Where(c => !string.IsNullOrWhiteSpace(c)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        if (string.IsNullOrWhiteSpace(command.TenantId) || string.IsNullOrWhiteSpace(command.PatientId))
        {
            errors.Add(new(ConsentErrorCodes.InvalidField, "tenant and patient are required"));
        }

        if (purposes.Count == 0)
        {
            errors.Add(new(ConsentErrorCodes.InvalidField, "purpose is required (marketing, service or photo_marketing)"));
        }
        else if (purposes.Count > 1)
        {
            errors.Add(new(ConsentErrorCodes.Bundled, "one consent covers exactly one purpose; record each purpose separately"));
        }

        var purpose = purposes.Count == 1 ? ConsentNames.ParsePurpose(purposes[0]) : null;
        if (purposes.Count == 1 && purpose is null)
        {
            errors.Add(new(ConsentErrorCodes.InvalidField, $"unknown purpose '{purposes[0]}' (marketing, service or photo_marketing)"));
        }

        var parsedChannels = new List<Channel>();
        foreach (var text in channels)
        {
            if (ConsentNames.ParseChannel(text) is { } channel)
            {
                parsedChannels.Add(channel);
            }
            else
            {
                errors.Add(new(ConsentErrorCodes.InvalidField, $"unknown channel '{text}' (email, sms or whatsapp)"));
            }
        }

        var isPhoto = purpose == ConsentPurpose.PhotoMarketing;
        if (channels.Count == 0 && !isPhoto)
        {
            errors.Add(new(ConsentErrorCodes.InvalidField, "channel is required (email, sms or whatsapp)"));
        }
        else if (channels.Count > 1 && command.Action == ConsentAction.Grant)
        {
            errors.Add(new(ConsentErrorCodes.Bundled, "one grant covers exactly one channel; the patient must agree to each channel separately"));
        }

        PhotoPlacement? placement = null;
        if (!string.IsNullOrWhiteSpace(command.Placement))
        {
            placement = ConsentNames.ParsePlacement(command.Placement);
            if (placement is null)
            {
                errors.Add(new(ConsentErrorCodes.InvalidField, $"unknown placement '{command.Placement}' (newsletter, social_media, website, flyer, billboard, other)"));
            }
            else if (!isPhoto && purpose is not null)
            {
                errors.Add(new(ConsentErrorCodes.InvalidField, "placement only applies to photo_marketing"));
            }
        }
        else if (isPhoto)
        {
            errors.Add(new(ConsentErrorCodes.PlacementRequired, "photo_marketing consent names the exact placement (newsletter, social_media, website, flyer, billboard, other)"));
        }

        errors.AddRange(ConsentEvidenceLimits.Check(evidence));
        foreach (var (field, id) in new[] { ("tenantId", command.TenantId), ("patientId", command.PatientId) })
        {
            var character = Validation.Identifiers.FirstForbidden(id);
            if (character is not null || id?.Length > Validation.ChannelLimits.IdentifierLength)
            {
                errors.Add(new(ConsentErrorCodes.InvalidField,
                    $"{field}: at most {Validation.ChannelLimits.IdentifierLength} characters, no control, bidi or zero-width characters ({character ?? "too long"})"));
            }
        }

        if (string.IsNullOrWhiteSpace(evidence.Source))
        {
            errors.Add(new(ConsentErrorCodes.EvidenceMissing, "evidence.source is required (web_form, paper_form, staff_entry, sms_start, import ...)"));
        }

        if (command.Action == ConsentAction.Grant)
        {
            if (evidence.PreTicked)
            {
                errors.Add(new(ConsentErrorCodes.PreTicked, "a pre-ticked box is not consent: the patient must opt in by an affirmative act"));
            }

            if (string.IsNullOrWhiteSpace(evidence.WordingVersion))
            {
                errors.Add(new(ConsentErrorCodes.EvidenceMissing, "evidence.wordingVersion is required: the version of the consent text shown"));
            }

            if (!IsSha256Hex(evidence.WordingSha256))
            {
                errors.Add(new(ConsentErrorCodes.EvidenceMissing, "evidence.wordingSha256 is required: the hex SHA-256 of the exact text shown"));
            }

            if (string.IsNullOrWhiteSpace(evidence.CapturedBy))
            {
                errors.Add(new(ConsentErrorCodes.EvidenceMissing, "evidence.capturedBy is required: who or what captured the consent"));
            }
        }

        var occurredAt = command.OccurredAt ?? now;
        if (occurredAt > now + FutureTolerance)
        {
            errors.Add(new(ConsentErrorCodes.OccursInFuture, "occurredAt is in the future"));
        }

        if (errors.Count > 0 || purpose is null)
        {
            return ([], errors);
        }

        var normalised = evidence with
        {
            Source = evidence.Source!.Trim(),
            WordingSha256 = evidence.WordingSha256?.Trim().ToUpperInvariant() is { Length: > 0 } h ? h : null,
        };
        IReadOnlyList<Channel?> targets = parsedChannels.Count == 0 ? [null] : parsedChannels.Select(c => (Channel?)c).ToList();
        var events = targets
            .Select(c => new ConsentEventDraft(command.TenantId, command.PatientId, command.Action, purpose.Value, c, placement, occurredAt, normalised))
            .ToList();
        return (events, []);
    }

    private static bool IsSha256Hex(string? value) =>
        value is not null && value.Trim().Length == 64 && value.Trim().All(char.IsAsciiHexDigit);
}

/// <summary>Wire names (snake_case) used by the API, the CLI and the ledger's columns.</summary>
public static class ConsentNames
{
    public static ConsentPurpose? ParsePurpose(string? text) => Normalise(text) switch
    {
        "marketing" => ConsentPurpose.Marketing,
        "service" => ConsentPurpose.Service,
        "photo_marketing" or "photomarketing" => ConsentPurpose.PhotoMarketing,
        _ => null,
    };

    public static string Name(ConsentPurpose purpose) => purpose switch
    {
        ConsentPurpose.Marketing => "marketing",
        ConsentPurpose.Service => "service",
        ConsentPurpose.PhotoMarketing => "photo_marketing",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
    };

    public static Channel? ParseChannel(string? text) => Normalise(text) switch
    {
        "email" => Channel.Email,
        "sms" => Channel.Sms,
        "whatsapp" => Channel.WhatsApp,
        _ => null,
    };

    public static string Name(Channel channel) => channel switch
    {
        Channel.Email => "email",
        Channel.Sms => "sms",
        Channel.WhatsApp => "whatsapp",
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };

    public static PhotoPlacement? ParsePlacement(string? text) => Normalise(text) switch
    {
        "newsletter" => PhotoPlacement.Newsletter,
        "social_media" or "socialmedia" => PhotoPlacement.SocialMedia,
        "website" => PhotoPlacement.Website,
        "flyer" => PhotoPlacement.Flyer,
        "billboard" => PhotoPlacement.Billboard,
        "other" => PhotoPlacement.Other,
        _ => null,
    };

    public static string Name(PhotoPlacement placement) => placement switch
    {
        PhotoPlacement.SocialMedia => "social_media",
        _ => placement.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    public static ConsentAction? ParseAction(string? text) => Normalise(text) switch
    {
        "grant" => ConsentAction.Grant,
        "withdraw" => ConsentAction.Withdraw,
        _ => null,
    };

    public static string Name(ConsentAction action) => action == ConsentAction.Grant ? "grant" : "withdraw";

    private static string? Normalise(string? text) =>
        text?.Trim().Replace('-', '_').ToLower(CultureInfo.InvariantCulture);
}
