using CommsGateway.Core.Policy;
using Dapper;
using Npgsql;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Stores a test clinic's sender identity (<see cref="FakeProviderSettings.SenderFor"/>) in its tenants row, as an
/// operator does with `commsgw tenant sender`: without it the clinic's messages are Blocked NoSenderIdentity.
/// Fields already stored are kept.
/// </summary>
public static class TestSenders
{
    public static Task StoreAsync(NpgsqlConnection connection, string tenantId, NpgsqlTransaction? tx = null) =>
        StoreAsync(connection, tenantId, FakeProviderSettings.SenderFor(tenantId), tx);

    public static Task StoreAsync(NpgsqlConnection connection, string tenantId, ClinicSender sender, NpgsqlTransaction? tx = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(sender);
        return connection.ExecuteAsync("""
            update tenants set
                email_from = coalesce(email_from, @EmailFrom), email_from_name = coalesce(email_from_name, @EmailFromName),
                reply_to = coalesce(reply_to, @ReplyTo), sms_from = coalesce(sms_from, @SmsFrom),
                messaging_service_sid = coalesce(messaging_service_sid, @MessagingServiceSid),
                whatsapp_from = coalesce(whatsapp_from, @WhatsAppFrom),
                whatsapp_marketing_content_sid = coalesce(whatsapp_marketing_content_sid, @WhatsAppMarketingContentSid),
                whatsapp_unsubscribe_variable = coalesce(whatsapp_unsubscribe_variable, @WhatsAppUnsubscribeVariable)
            where tenant_id = @tenantId
            """, new
        {
            tenantId, sender.EmailFrom, sender.EmailFromName, sender.ReplyTo, sender.SmsFrom, sender.MessagingServiceSid,
            sender.WhatsAppFrom, sender.WhatsAppMarketingContentSid, sender.WhatsAppUnsubscribeVariable,
        }, tx);
    }
}
