using CommsGateway.Contracts;

namespace CommsGateway.Core.Consent;

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
