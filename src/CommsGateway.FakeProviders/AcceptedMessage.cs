namespace CommsGateway.FakeProviders;

/// <summary>One message the fake accepted, as the patient would receive it.</summary>
public sealed record AcceptedMessage(
    string Provider,
    string ProviderMessageId,
    string? IntentId,
    string? DecisionId,
    string Channel,
    string To,
    string From,
    string? Subject,
    string? Text,
    string? Html,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyList<string> Categories,
    string? ContentSid,
    string? ContentVariables,
    string? StatusCallback,
    DateTimeOffset AcceptedAt)
{
    /// <summary>SendGrid only: the sender's display name and the reply-to address the patient's mail client would use.</summary>
    public string? FromName { get; init; }

    public string? ReplyTo { get; init; }

    /// <summary>Twilio only: the form's own From and MessagingServiceSid (<see cref="From"/> is whichever was used).</summary>
    public string? FromParameter { get; init; }

    public string? MessagingServiceSid { get; init; }
}
