namespace CommsGateway.Providers;

/// <summary>The provider calls' log lines, source-generated (a send path line costs nothing below its level).</summary>
internal static partial class ProviderLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "SendGrid unavailable for {IntentId}: {Error}")]
    public static partial void SendGridUnavailable(ILogger logger, string intentId, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "SendGrid refused {IntentId}: {Status} {Detail}")]
    public static partial void SendGridRefused(ILogger logger, string intentId, int status, string detail);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Twilio unavailable for {IntentId}: {Error}")]
    public static partial void TwilioUnavailable(ILogger logger, string intentId, string error);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Twilio refused {IntentId}: {Status} code {Code}")]
    public static partial void TwilioRefused(ILogger logger, string intentId, int status, int code);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Dispatch of {IntentId} threw")]
    public static partial void DispatchThrew(ILogger logger, Exception exception, string intentId);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "Campaign email {IntentId} could not join a bulk request")]
    public static partial void BulkJoinFailed(ILogger logger, Exception exception, string intentId);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error, Message = "SendGrid bulk send of {Count} campaign emails threw")]
    public static partial void BulkSendThrew(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information,
        Message = "{Count} campaign email(s) of a group not reproduced by its shared templates: sent on their own")]
    public static partial void BulkSingles(ILogger logger, int count);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "Resuming interrupted dispatch {DecisionId} of {IntentId}: the provider never received it")]
    public static partial void ResumingInterrupted(ILogger logger, Guid decisionId, string intentId);

}
