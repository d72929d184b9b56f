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
    DateTimeOffset AcceptedAt);
