using System.Net.Http.Json;
using CommsGateway.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CommsGateway.Providers;

public sealed class ReconcilerOptions
{
    public const string Section = "Reconciler";

    /// <summary>A dispatch still "dispatching" after this long was interrupted (well above the providers' total timeout).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 86_400)] public double SettleAfterSeconds { get; set; } = 300;

    [System.ComponentModel.DataAnnotations.Range(0.1, 3_600)] public double IntervalSeconds { get; set; } = 30;

    /// <summary>
    /// A dispatch the provider never received is resumed by its intent's redelivery (<see cref="DispatchRecovery"/>);
    /// one that no redelivery resumed within this long is given up as failed (ProcessingFailed).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 604_800)] public double AbandonAfterSeconds { get; set; } = 1_800;
}

/// <summary>Asks a provider whether it accepted the message of a decision; null when it cannot tell.</summary>
public interface IDispatchProbe
{
    Task<ProbeAnswer?> ProbeAsync(UnsettledDispatch dispatch, CancellationToken ct);
}

public sealed record ProbeAnswer(bool Accepted, string? ProviderMessageId);

/// <summary>
/// The fake providers can be asked by IntentId. Real SendGrid and Twilio cannot be searched by our ids
/// (SendGrid's Email Activity API is a paid add-on; Twilio lists by date/number), so against them the
/// reconciler marks the row <c>unknown</c> for a human to check.
/// </summary>
internal sealed class FakeProviderProbe(IHttpClientFactory httpClientFactory, IOptions<FakeProvidersOptions> options) : IDispatchProbe
{
    public const string Name = "fake-probe";

    public async Task<ProbeAnswer?> ProbeAsync(UnsettledDispatch dispatch, CancellationToken ct)
    {
        if (options.Value.BaseUrl is not { Length: > 0 } baseUrl)
        {
            return null;
        }

        var http = httpClientFactory.CreateClient(Name);
        var accepted = await http.GetFromJsonAsync<List<Accepted>>(
            $"{baseUrl.TrimEnd('/')}/_fake/messages?intentId={Uri.EscapeDataString(dispatch.IntentId)}", ct) ?? [];
        var match = accepted.FirstOrDefault(a => a.DecisionId is null || a.DecisionId == dispatch.DecisionId.ToString());
        return new ProbeAnswer(match is not null, match?.ProviderMessageId);
    }

    private sealed record Accepted(string? ProviderMessageId, string? DecisionId);
}

/// <summary>
/// Settles dispatches a crash left in "dispatching" (the claim was written, the provider's answer was not).
/// When the provider can be asked, the row becomes sent or failed from its answer; otherwise <c>unknown</c>.
/// Publishes the MessageDecided the interrupted consumer never published.
/// </summary>
internal sealed class DispatchReconciler(
    DispatchLog dispatches,
    Features.Intents.DecisionLog decisions,
    IDispatchProbe probe,
    IServiceScopeFactory scopes,
    IOptions<ReconcilerOptions> options,
    Observability.GatewayMetrics metrics,
    TimeProvider clock,
    ILogger<DispatchReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.IntervalSeconds), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ReconcileOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Dispatch reconciliation failed; retrying next round");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    internal async Task<int> ReconcileOnceAsync(CancellationToken ct)
    {
        var settled = 0;
        foreach (var row in await dispatches.UnsettledAsync(TimeSpan.FromSeconds(options.Value.SettleAfterSeconds), 200, ct))
        {
            var answer = await probe.ProbeAsync(row, ct);
            if (answer is { Accepted: false } && clock.GetUtcNow().UtcDateTime - row.UpdatedAt < TimeSpan.FromSeconds(options.Value.AbandonAfterSeconds))
            {
                // Never sent: only the intent's redelivery, which holds the content, can send it; it resumes the claim.
                continue;
            }

            // No reason: the provider has it (sent). A reason: the send is Failed, for that reason.
            var (status, reason, detail) = answer switch
            {
                { Accepted: true } => ("sent", (string?)null, "reconciled: the provider has the message"),
                { Accepted: false } => ("failed", ReasonCodes.ProcessingFailed,
                    "reconciled: the provider never received the message and no redelivery of the intent resumed it"),
                null => ("unknown", ReasonCodes.DispatchOutcomeUnknown, "reconciled: interrupted and the provider cannot be asked; check its console"),
            };
            // The event the interrupted consumer would have published: its decision's, Failed when the send was not made.
            // A dispatch row references its decision, so the decision is there.
            var decision = await decisions.FindAsync(row.TenantId, row.IntentId, ct)
                ?? throw new InvalidOperationException($"Dispatch {row.DecisionId} has no decision for {row.IntentId}");
            if (!await dispatches.SettleAsync(row.DecisionId, status, answer?.ProviderMessageId, reason, detail, ct))
            {
                continue; // another instance settled it
            }

            settled++;
            logger.LogWarning("Reconciled interrupted dispatch {DecisionId} of {IntentId} as {Status}", row.DecisionId, row.IntentId, status);
            var decided = reason is null
                ? decision.ToEvent()
                : decision.ToEvent() with { Outcome = DecisionOutcome.Failed, Reasons = [.. decision.Reasons, reason] };
            // The interrupted consumer never counted this decision (it counts after the provider's answer).
            metrics.Decided(decided.Outcome, decided.Channel, decided.Reasons);
            using var scope = scopes.CreateScope();
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(decided, ct);
        }

        return settled;
    }
}
