using CommsGateway.Providers;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Admin;

/// <summary>
/// The migration path from file-configured senders: at start-up (after the migrations), each
/// <c>Senders:Tenants:&lt;id&gt;</c> entry fills the sender fields that clinic has not stored yet. The database stays
/// the source of truth: a field set by <c>commsgw tenant sender</c> or the admin API is never overwritten.
/// </summary>
internal sealed class SenderSeeding(IOptions<SenderOptions> senders, TenantDirectory tenants, ILogger<SenderSeeding> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (senders.Value.Tenants.Count == 0)
        {
            return;
        }

        var seeded = await tenants.SeedSendersAsync(
            senders.Value.Tenants.ToDictionary(t => t.Key, t => t.Value.ToClinicSender(), StringComparer.Ordinal),
            new Actor("config:Senders:Tenants"), cancellationToken);
        foreach (var tenantId in seeded)
        {
            logger.LogInformation("Seeded the sender identity of {TenantId} from Senders:Tenants", tenantId);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Refuses <c>Senders:Default</c>: a sender shared by every clinic without its own is what must never happen.</summary>
internal sealed class SenderOptionsValidator : IValidateOptions<SenderOptions>
{
    public ValidateOptionsResult Validate(string? name, SenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var d = options.Default;
        return d is not null && (d.EmailFrom ?? d.EmailFromName ?? d.ReplyTo ?? d.SmsFrom ?? d.MessagingServiceSid ?? d.WhatsAppFrom
                                 ?? d.WhatsAppMarketingContentSid ?? d.WhatsAppUnsubscribeVariable) is not null
            ? ValidateOptionsResult.Fail(
                "Senders:Default is not supported: each clinic sends as itself. Store senders per clinic (commsgw tenant sender <id> ...), " +
                "or seed them with Senders:Tenants:<id>:...")
            : ValidateOptionsResult.Success;
    }
}
