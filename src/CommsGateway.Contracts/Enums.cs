using System.Text.Json.Serialization;

namespace CommsGateway.Contracts;

/// <summary>Delivery channel. Consent is granted and withdrawn per channel.</summary>
[JsonConverter(typeof(LenientEnumConverter<Channel>))]
public enum Channel
{
    /// <summary>Missing or not one of the known channels: the intent is Rejected, never guessed.</summary>
    Unknown = 0,
    Email,
    Sms,
    WhatsApp,
}

/// <summary>Why a message is sent: serving care already arranged, or promoting something.</summary>
[JsonConverter(typeof(LenientEnumConverter<Purpose>))]
public enum Purpose
{
    Unknown = 0,
    Service,
    Marketing,
}

/// <summary>The one final outcome of an intent.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DecisionOutcome>))]
public enum DecisionOutcome
{
    Sent,
    SentWithMarketingRemoved,
    Blocked,
    Deferred,
    Duplicate,
    Rejected,
    Failed,

    /// <summary>
    /// Not final: the classifier could not tell service from marketing, so the intent waits for a person at the
    /// clinic (review queue). A review, or the hold's timeout, later records the final decision.
    /// </summary>
    Held,
}
