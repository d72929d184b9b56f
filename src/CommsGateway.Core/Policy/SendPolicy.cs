using CommsGateway.Contracts;
using CommsGateway.Core.Decisions;

namespace CommsGateway.Core.Policy;

/// <summary>
/// The one place that answers "why was this sent / blocked / deferred?".
/// Pure: same input, same decision.
/// </summary>
public static class SendPolicy
{
    public const string Version = "2026-11-skeleton";

    public static Decision Decide(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var intent = input.Intent;
        var detected = input.Classification.Purpose;

        if (intent.ExpiresAt is { } expiresAt && expiresAt <= input.Now)
        {
            return new Decision(DecisionOutcome.Blocked, [ReasonCodes.Expired], detected);
        }

        return new Decision(
            DecisionOutcome.Sent,
            [detected == Purpose.Marketing ? ReasonCodes.MarketingConsentGranted : ReasonCodes.ServiceMessage],
            detected);
    }
}
