using CommsGateway.Contracts;
using Microsoft.Extensions.Options;

namespace CommsGateway.Providers;

/// <summary>What a redelivered decision to send found when its dispatch was already claimed.</summary>
public enum ClaimResumption
{
    /// <summary>The dispatch is settled (sent, failed, unknown), or another consumer took it over: nothing to do.</summary>
    Settled,

    /// <summary>The interrupted call had reached the provider: the dispatch is now recorded sent.</summary>
    ProviderHasIt,

    /// <summary>The provider never received it and the claim is now this process's: send it.</summary>
    TakenOver,

    /// <summary>The provider cannot be asked (real SendGrid/Twilio): left for the reconciler, never sent twice.</summary>
    CannotTell,
}

/// <summary>
/// Resumes a claimed dispatch whose call a crash interrupted. The claim is written before the provider call, so a
/// claimed-but-unsettled dispatch is either still being called, or was interrupted before or after the provider got it.
/// The redelivered intent (the only place its content still exists) waits while the call may still be running (the
/// claiming process is alive and the claim younger than the provider pipeline's total timeout), then asks the provider:
/// it has the message → recorded sent; it never received it → this process takes the claim over (guarded, one winner)
/// and sends it, once.
/// </summary>
public sealed class DispatchRecovery(
    DispatchLog dispatches,
    IDispatchProbe probe,
    GatewayInstance instance,
    IOptions<SendGridOptions> sendGrid,
    IOptions<TwilioOptions> twilio,
    TimeProvider clock,
    ILogger<DispatchRecovery> logger)
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <summary>No provider call runs longer than its pipeline's total timeout: a claim older than this is orphaned.</summary>
    internal TimeSpan Lease => TimeSpan.FromSeconds(Math.Max(sendGrid.Value.TotalTimeoutSeconds, twilio.Value.TotalTimeoutSeconds) + 5);

    public async Task<ClaimResumption> ResumeAsync(Guid decisionId, string tenantId, string intentId, Channel channel, CancellationToken ct)
    {
        while (true)
        {
            var claim = await dispatches.ReadClaimAsync(decisionId, ct);
            if (claim is null || claim.Status != "dispatching")
            {
                return ClaimResumption.Settled;
            }

            // This process's own claim may be in the instant between its commit and its call: treated as running.
            var mayBeRunning = claim.ClaimedBy == instance.Key || claim.ClaimantAlive != false;
            if (mayBeRunning && claim.AgeSeconds < Lease.TotalSeconds)
            {
                await Task.Delay(Poll, clock, ct);
                continue;
            }

            var answer = await probe.ProbeAsync(
                new UnsettledDispatch(decisionId, tenantId, intentId, WireNames.Of(channel), null, claim.UpdatedAt, ClaimantAlive: false), ct);
            if (answer is null)
            {
                return ClaimResumption.CannotTell;
            }

            if (answer.Accepted)
            {
                return await dispatches.SettleAsync(decisionId, "sent", answer.ProviderMessageId, null,
                    "resumed: the provider has the message of the interrupted call", ct)
                    ? ClaimResumption.ProviderHasIt
                    : ClaimResumption.Settled;
            }

            if (await dispatches.TakeOverAsync(decisionId, claim, ct))
            {
                ProviderLog.ResumingInterrupted(logger, decisionId, intentId);
                return ClaimResumption.TakenOver;
            }

            // Another consumer changed the claim meanwhile (took it over, or settled it): look again.
        }
    }
}
