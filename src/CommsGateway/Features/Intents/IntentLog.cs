using CommsGateway.Contracts;
using CommsGateway.Providers;

namespace CommsGateway.Features.Intents;

/// <summary>The intent pipeline's log lines, source-generated: below the level nothing is formatted, boxed or joined.</summary>
internal static partial class IntentLog
{
    public static void Decided(ILogger logger, DecisionRecord record)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            Decided(logger, record.IntentId, record.TenantId, record.Outcome, string.Join(',', record.Reasons));
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Decided {IntentId} for tenant {TenantId}: {Outcome} ({Reasons})")]
    private static partial void Decided(ILogger logger, string intentId, string tenantId, DecisionOutcome outcome, string reasons);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information,
        Message = "Duplicate intent {IntentId} for tenant {TenantId}; first decided {Outcome} as {DecisionId}")]
    public static partial void Duplicate(ILogger logger, string intentId, string tenantId, DecisionOutcome outcome, Guid decisionId);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning,
        Message = "Intent id {IntentId} of tenant {TenantId} reused for other content: this message is not sent (the id was decided {Outcome} as {DecisionId})")]
    public static partial void IdReused(ILogger logger, string intentId, string tenantId, DecisionOutcome outcome, Guid decisionId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Duplicate intent {IntentId}: dispatch of {DecisionId} already claimed ({Resumption})")]
    public static partial void DispatchAlreadyClaimed(ILogger logger, string intentId, Guid decisionId, ClaimResumption resumption);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Resuming unclaimed dispatch of {IntentId} ({DecisionId})")]
    public static partial void ResumingUnclaimed(ILogger logger, string intentId, Guid decisionId);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Dispatch of {IntentId} failed: {Reason}")]
    public static partial void DispatchFailed(ILogger logger, string intentId, string? reason);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Closed held intent {IntentId} for tenant {TenantId} without its content: {Why}")]
    public static partial void ClosedHeld(ILogger logger, string intentId, string tenantId, string why);
}
