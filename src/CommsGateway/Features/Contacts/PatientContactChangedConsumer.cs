using CommsGateway.Contracts;
using CommsGateway.Features.Admin;
using MassTransit;

namespace CommsGateway.Features.Contacts;

/// <summary>
/// Producers (the booking system) keep the directory current. An event whose addresses do not parse is
/// dropped with its reasons logged (never the address): keeping the last good contact beats storing a wrong one.
/// </summary>
public sealed class PatientContactChangedConsumer(ContactDirectory contacts, ILogger<PatientContactChangedConsumer> logger)
    : IConsumer<PatientContactChanged>
{
    public async Task Consume(ConsumeContext<PatientContactChanged> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        if (string.IsNullOrWhiteSpace(m.TenantId) || string.IsNullOrWhiteSpace(m.PatientId))
        {
            logger.LogWarning("Ignored a PatientContactChanged without tenant or patient id");
            return;
        }

        var producer = context.SourceAddress?.AbsolutePath.Trim('/') is { Length: > 0 } source ? source : "bus";
        var result = await contacts.UpsertAsync(m.TenantId, m.PatientId, m, new Actor("event:" + producer),
            m.OccurredAt == default ? null : m.OccurredAt, context.CancellationToken);
        if (!result.Ok)
        {
            logger.LogWarning("Refused contact update for patient {PatientId} of tenant {TenantId}: {Reasons}",
                m.PatientId, m.TenantId, string.Join("; ", result.Errors));
        }
        else if (!result.Applied)
        {
            logger.LogInformation("Ignored an out-of-order contact update for patient {PatientId} of tenant {TenantId}", m.PatientId, m.TenantId);
        }
    }
}
