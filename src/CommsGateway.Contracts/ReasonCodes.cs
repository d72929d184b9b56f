namespace CommsGateway.Contracts;

/// <summary>
/// Stable reason codes carried by decisions. Codes are part of the contract: never rename one,
/// add a new one instead. Prose explanations belong in the decision's details, not here.
/// </summary>
public static class ReasonCodes
{
    // Rejected: the intent itself is invalid.
    public const string MalformedMessage = "MalformedMessage";
    public const string MissingField = "MissingField";
    public const string UnknownChannel = "UnknownChannel";
    public const string BodyTooLarge = "BodyTooLarge";
    public const string InvalidField = "InvalidField";
    public const string UnknownTenant = "UnknownTenant";

    // Blocked / deferred by policy.
    public const string NoMarketingConsent = "NoMarketingConsent";
    public const string ConsentLapsed = "ConsentLapsed";
    public const string MarketingInServiceMessage = "MarketingInServiceMessage";
    public const string MarketingBlocksRemoved = "MarketingBlocksRemoved";
    public const string ChannelRefused = "ChannelRefused";
    public const string Suppressed = "Suppressed";
    public const string RecipientMismatch = "RecipientMismatch";
    public const string NoContactPoint = "NoContactPoint";
    public const string Expired = "Expired";
    public const string NotYetDue = "NotYetDue";
    public const string QuietHours = "QuietHours";
    public const string FrequencyCap = "FrequencyCap";
    public const string PhotoConsentMissing = "PhotoConsentMissing";
    public const string CampaignCancelled = "CampaignCancelled";
    public const string FooterExceedsLimit = "FooterExceedsLimit";
    public const string TemplateLacksUnsubscribe = "TemplateLacksUnsubscribe";
    // WhatsApp outside the 24-hour window with no approved template: blocked before Twilio (which answers 63016).
    public const string WhatsAppWindowClosed = "WhatsAppWindowClosed";
    // The clinic has no sender identity (from address, SMS sender, WhatsApp number) for the channel.
    public const string NoSenderIdentity = "NoSenderIdentity";

    // Review: the classifier was unsure; a person settles it.
    public const string ClassificationUncertain = "ClassificationUncertain";
    public const string ReviewTimedOut = "ReviewTimedOut";
    public const string ReviewedAsService = "ReviewedAsService";
    public const string ReviewedAsMarketing = "ReviewedAsMarketing";
    // Decided at once from a reviewer's remembered verdict on the same clinic template.
    public const string TemplateVerdict = "TemplateVerdict";

    // Warnings: the message goes, the decision says what was noticed.
    public const string HealthDetailsFlagged = "HealthDetailsFlagged";
    public const string DeclaredPurposeMismatch = "DeclaredPurposeMismatch";

    // Positive evidence.
    public const string ServiceMessage = "ServiceMessage";
    public const string MarketingConsentGranted = "MarketingConsentGranted";

    // Idempotency.
    public const string DuplicateIntent = "DuplicateIntent";

    /// <summary>With <see cref="DuplicateIntent"/>: the id was decided before for other content, so this message was not sent.</summary>
    public const string IntentIdReused = "IntentIdReused";

    // Provider outcomes.
    public const string ProviderRejected = "ProviderRejected";
    public const string ProviderUnavailable = "ProviderUnavailable";
    public const string RecipientOptedOut = "RecipientOptedOut";
    public const string InvalidRecipient = "InvalidRecipient";
    public const string WhatsAppOutsideWindow = "WhatsAppOutsideWindow";
    public const string DispatchOutcomeUnknown = "DispatchOutcomeUnknown";
    // The gateway itself failed to process the intent (no provider was called).
    public const string ProcessingFailed = "ProcessingFailed";
}
