using System.Text;
using CommsGateway.Core.Unsubscribe;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Preferences;

/// <summary>
/// Emails the patient a consent receipt after a change they made on the patient pages, to the address on record, at
/// most <see cref="MaxPerHour"/> an hour per patient (whoever holds a link cannot flood the patient's mailbox).
/// </summary>
public sealed class ReceiptMailer(NpgsqlDataSource dataSource, PreferenceCentre centre, ConfirmationMailer mailer, TimeProvider clock,
    ILogger<ReceiptMailer> logger)
{
    public const int MaxPerHour = 5;

    public async Task<bool> SendAsync(string tenantId, string patientId, string subscriberRef, UnsubscribeLocale locale, CancellationToken ct)
    {
        var view = await centre.ViewAsync(tenantId, patientId, ct);
        if (view.Contact?.Email is not { Length: > 0 } email)
        {
            return false;
        }

        var now = clock.GetUtcNow();
        var receipt = ConsentReceipts.Build(view, subscriberRef, now, locale);
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            // Every emailed receipt is a decision of its own (ConfirmationMailer): the log counts them.
            var recent = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
                select count(*) from decisions
                where tenant_id = @tenantId and patient_id = @patientId and decided_at > @since and category = @category
                """, new { tenantId, patientId, since = (now - TimeSpan.FromHours(1)).UtcDateTime, category = ConfirmationMailer.ReceiptCategory },
                cancellationToken: ct));
            if (recent >= MaxPerHour)
            {
                logger.LogInformation("Consent receipt for tenant {TenantId} not emailed: {Count} in the last hour", tenantId, recent);
                return false;
            }
        }

        var fr = locale == UnsubscribeLocale.Fr;
        var subject = fr ? $"Votre reçu de consentement – {view.Brand.Name}" : $"Your consent receipt – {view.Brand.Name}";
        var text = new StringBuilder(fr ? "Vos choix actuels :\n" : "Your current choices:\n");
        foreach (var (row, purpose) in view.Rows.Zip(receipt.Purposes).Where(p => p.First.Latest is not null))
        {
            text.Append("- ").Append(PreferencePages.ItemTitle(locale, row.Item)).Append(" : ").Append(purpose.Status);
            if (purpose.WordingVersion is { } version)
            {
                text.Append(" (").Append(version).Append(", SHA-256 ").Append(purpose.WordingSha256).Append(')');
            }

            text.Append('\n');
        }

        text.Append('\n').Append(fr ? "Référence du reçu : " : "Receipt reference: ").Append(receipt.ConsentReceiptId).Append('\n');
        return await mailer.SendReceiptAsync(tenantId, patientId, receipt.ConsentReceiptId, email, subject, text.ToString(),
            ConsentReceipts.Html(locale, view, receipt), ct);
    }
}
