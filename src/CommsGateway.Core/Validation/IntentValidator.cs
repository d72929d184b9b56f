using CommsGateway.Contracts;

namespace CommsGateway.Core.Validation;

/// <summary>
/// Checks the shape of an intent before anything else looks at it. Every problem is reported
/// (not just the first) so a producer can fix its payload in one go.
/// </summary>
public static class IntentValidator
{
    /// <summary>How far ahead <c>notBefore</c> may lie by default: past it, an intent would be parked for ever.</summary>
    public static readonly TimeSpan DefaultNotBeforeHorizon = TimeSpan.FromDays(400);

    /// <summary>Shape checks that need no clock (the <c>notBefore</c> horizon is not checked).</summary>
    public static IReadOnlyList<ValidationError> Validate(MessageIntent intent) => Validate(intent, null, DefaultNotBeforeHorizon);

    /// <param name="now">The decision instant; with it, a <c>notBefore</c> later than <paramref name="notBeforeHorizon"/>
    /// from now is refused (InvalidField) instead of deferring the intent for years.</param>
    public static IReadOnlyList<ValidationError> Validate(MessageIntent intent, DateTimeOffset? now, TimeSpan notBeforeHorizon)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var errors = new List<ValidationError>();

        RequireIdentifier(errors, "intentId", intent.IntentId);
        RequireIdentifier(errors, "tenantId", intent.TenantId);
        RequireIdentifier(errors, "patientId", intent.PatientId);
        if (intent.CampaignId is not null)
        {
            RequireIdentifier(errors, "campaignId", intent.CampaignId);
        }

        if (now is { } instant && intent.NotBefore is { } due && due - instant > notBeforeHorizon)
        {
            errors.Add(new ValidationError("notBefore", ReasonCodes.InvalidField,
                $"notBefore is more than {notBeforeHorizon.TotalDays:0} days ahead (the horizon)"));
        }

        if (intent.Channel == Channel.Unknown)
        {
            errors.Add(new ValidationError("channel", ReasonCodes.UnknownChannel,
                "channel is missing or not one of: email, sms, whatsapp"));
        }

        var hasBlocks = intent.Blocks is { Count: > 0 };
        if (string.IsNullOrWhiteSpace(intent.Body) && !hasBlocks)
        {
            errors.Add(new ValidationError("body", ReasonCodes.MissingField, "body is required (or blocks)"));
        }

        var bodyLength = (intent.Body?.Length ?? 0) + (intent.Blocks?.Sum(b => b.Text?.Length ?? 0) ?? 0);
        var limit = ChannelLimits.BodyLimit(intent.Channel);
        if (bodyLength > limit)
        {
            errors.Add(new ValidationError("body", ReasonCodes.BodyTooLarge,
                $"body has {bodyLength} characters; the {ChannelName(intent.Channel)} limit is {limit}"));
        }

        if (intent.Html is { Length: > ChannelLimits.EmailHtml })
        {
            errors.Add(new ValidationError("html", ReasonCodes.BodyTooLarge,
                $"html has {intent.Html.Length} characters; the limit is {ChannelLimits.EmailHtml}"));
        }

        if (intent.Html is not null && intent.Channel is Channel.Sms or Channel.WhatsApp)
        {
            errors.Add(new ValidationError("html", ReasonCodes.InvalidField, "html is only allowed on email"));
        }

        if (intent.Subject is { Length: > ChannelLimits.Subject })
        {
            errors.Add(new ValidationError("subject", ReasonCodes.BodyTooLarge,
                $"subject has {intent.Subject.Length} characters; the limit is {ChannelLimits.Subject}"));
        }

        if (intent.Channel == Channel.Email && string.IsNullOrWhiteSpace(intent.Subject))
        {
            errors.Add(new ValidationError("subject", ReasonCodes.MissingField, "subject is required for email"));
        }

        if (intent.Blocks is not null)
        {
            for (var i = 0; i < intent.Blocks.Count; i++)
            {
                if (intent.Blocks[i] is null || intent.Blocks[i].Kind == Purpose.Unknown)
                {
                    errors.Add(new ValidationError($"blocks[{i}].kind", ReasonCodes.InvalidField,
                        "each block's kind must be service or marketing"));
                }
            }
        }

        if (intent.NotBefore is { } notBefore && intent.ExpiresAt is { } expiresAt && expiresAt <= notBefore)
        {
            errors.Add(new ValidationError("expiresAt", ReasonCodes.InvalidField, "expiresAt must be after notBefore"));
        }

        return errors;
    }

    private static void RequireIdentifier(List<ValidationError> errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new ValidationError(field, ReasonCodes.MissingField, $"{field} is required"));
        }
        else if (value.Length > ChannelLimits.IdentifierLength)
        {
            errors.Add(new ValidationError(field, ReasonCodes.InvalidField,
                $"{field} is longer than {ChannelLimits.IdentifierLength} characters"));
        }
        else if (Identifiers.FirstForbidden(value) is { } character)
        {
            errors.Add(new ValidationError(field, ReasonCodes.InvalidField,
                $"{field} contains {character}: control, bidirectional and zero-width characters are not allowed in identifiers"));
        }
    }

    private static string ChannelName(Channel channel) => channel switch
    {
        Channel.Sms => "sms",
        Channel.WhatsApp => "whatsapp",
        Channel.Email => "email",
        _ => "default",
    };
}
