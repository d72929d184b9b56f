using System.Security;
using System.Security.Cryptography;
using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Contacts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Consent;
using CommsGateway.Hosting;
using CommsGateway.Providers;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace CommsGateway.Features.Webhooks;

/// <summary>
/// Inbound SMS/WhatsApp replies (Twilio's incoming-message webhook). A whole-message STOP keyword (or Twilio's
/// Advanced Opt-Out <c>OptOutType=STOP</c>) withdraws marketing on that channel at once (GDPR art. 7(3)); START/YES/
/// UNSTOP re-grants it with the inbound message as evidence; HELP/AIDE/INFO is answered (TwiML &lt;Message&gt;) with the
/// clinic's name and contact, consent unchanged. Which clinic a reply was written to is read from the sender identities
/// stored with the clinics (the To number or Messaging Service). Verified with X-Twilio-Signature over the PUBLIC URL.
/// </summary>
public static class TwilioInboundWebhook
{
    /// <summary>Empty TwiML: acknowledge, reply nothing (Twilio's own opt-out reply, when enabled, is sent by Twilio).</summary>
    internal const string EmptyTwiml = """<?xml version="1.0" encoding="UTF-8"?><Response></Response>""";

    public static IEndpointRouteBuilder MapTwilioInboundWebhook(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapTwilioWebhookGroup().MapPost("/inbound", HandleAsync);
        return endpoints;
    }

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> HandleAsync(
        HttpRequest request,
        NpgsqlDataSource dataSource,
        OptOuts optOuts,
        TimeProvider clock,
        ILogger<TwilioInboundWebhookLog> logger,
        CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct); // verified by the front door (TwilioWebhookForm)
        var sid = form["MessageSid"].ToString() is { Length: > 0 } s ? s : form["SmsSid"].ToString();
        if (sid.Length == 0)
        {
            return Problems.Typed(StatusCodes.Status400BadRequest, Problems.BadRequest, "MessageSid missing");
        }

        var body = form["Body"].ToString();
        var from = form["From"].ToString();
        var channel = from.StartsWith("whatsapp:", StringComparison.Ordinal) ? Channel.WhatsApp : Channel.Sms;
        var to = StripPrefix(form["To"].ToString());
        var intent = StopKeywords.Match(body, form["OptOutType"].ToString());
        var phone = AddressNormalizer.Phone(StripPrefix(from));
        var bodySha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var patients = intent == KeywordIntent.None || phone.Value is null
            ? []
            : await PatientsInScopeAsync(connection, tx, phone.Value, channel, to, form["MessagingServiceSid"].ToString(), intent, ct);

        // Twilio retries a webhook it got no answer for: a MessageSid acts once.
        var first = await connection.ExecuteAsync(new CommandDefinition("""
            insert into twilio_inbound_messages (message_sid, channel, intent, body_sha256, patients)
            values (@sid, @channel, @intent, @bodySha256, @count)
            on conflict (message_sid) do nothing
            """, new
        {
            sid, channel = WireNames.Of(channel), bodySha256, count = patients.Count,
            intent = intent switch { KeywordIntent.OptOut => "opt_out", KeywordIntent.OptIn => "opt_in", KeywordIntent.Help => "help", _ => "none" },
        }, tx, cancellationToken: ct)) == 1;
        if (!first)
        {
            logger.LogInformation("Inbound {MessageSid} already processed", sid);
            return Twiml();
        }

        var help = intent == KeywordIntent.Help
            ? await HelpReplyAsync(connection, tx, channel, to, form["MessagingServiceSid"].ToString(), phone.Value, body, ct)
            : null;

        var now = clock.GetUtcNow();
        var windows = channel == Channel.WhatsApp && phone.Value is not null
            ? await OpenWhatsAppWindowsAsync(connection, tx, phone.Value, to, now, ct)
            : 0;
        foreach (var (tenantId, patientId) in patients)
        {
            var evidence = new Dictionary<string, string?>
            {
                ["message_sid"] = sid,
                ["body_sha256"] = bodySha256,
                ["opt_out_type"] = form["OptOutType"].ToString() is { Length: > 0 } t ? t : null,
                ["to"] = to, // the clinic's sender, not personal data
                ["account_sid"] = form["AccountSid"].ToString(),
            };
            if (intent == KeywordIntent.OptIn)
            {
                await optOuts.ResubscribeAsync(connection, tx, new KeywordResubscription(
                    tenantId, patientId, channel, OptOuts.SmsStart, now, bodySha256, phone.Value!, evidence), ct);
            }
            else
            {
                await optOuts.WithdrawAsync(connection, tx, new OptOut(tenantId, patientId, channel, OptOuts.SmsStop, now, evidence), ct);
            }
        }

        await tx.CommitAsync(ct);
        logger.LogInformation("Inbound {MessageSid} on {Channel}: {Intent} for {Patients} patient(s), {Windows} WhatsApp window(s) opened",
            sid, channel, intent, patients.Count, windows);
        return Twiml(help);
    }

    /// <summary>
    /// The HELP answer: the name and contact of the clinic that sends from the To number (Twilio Advanced Opt-Out
    /// answers HELP the same way). When several clinics share that number, the one holding the sender's number on
    /// record; still ambiguous or unknown: no reply rather than another clinic's name.
    /// </summary>
    private static async Task<string?> HelpReplyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Channel channel, string to,
        string messagingServiceSid, string? phone, string body, CancellationToken ct)
    {
        var clinics = (await connection.QueryAsync<(string Name, string? HelpContact, bool HoldsNumber)>(new CommandDefinition($"""
            select t.name, t.help_contact,
                   exists (select 1 from contacts c where c.tenant_id = t.tenant_id and (c.phone_e164 = @phone or c.whatsapp_e164 = @phone))
            from tenants t where {SendsFromSql}
            """, new { phone, to, mss = messagingServiceSid, channel = WireNames.Of(channel) }, tx, cancellationToken: ct))).ToList();
        var clinic = clinics.Count == 1 ? clinics[0] : clinics.Where(c => c.HoldsNumber).ToList() is [var only] ? only : default;
        if (clinic.Name is null)
        {
            return null;
        }

        var english = StopKeywords.Normalize(body) == "HELP";
        var contact = string.IsNullOrWhiteSpace(clinic.HelpContact) ? "" : " " + clinic.HelpContact.Trim() + ".";
        return english
            ? $"{clinic.Name}.{contact} Reply STOP to opt out."
            : $"{clinic.Name}.{contact} Répondez STOP pour ne plus recevoir nos messages.";
    }

    /// <summary>A tenants row (alias t) that sends from @to on @channel, or through the Messaging Service @mss.</summary>
    private const string SendsFromSql = """
        (case when @channel = 'whatsapp' then t.whatsapp_from = @to
              else t.sms_from = @to or (@mss <> '' and t.messaging_service_sid = @mss) end)
        """;

    /// <summary>
    /// Any inbound WhatsApp message (not only a keyword) opens the 24-hour customer-service window of the clinic it was
    /// written to: recorded for every patient whose WhatsApp number on record (else mobile, as sending uses) is the
    /// sender, in the clinics that send from the To number. Meta keys the window on the business number, so a message
    /// to a number no clinic sends from opens nothing.
    /// </summary>
    private static async Task<int> OpenWhatsAppWindowsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string phone,
        string to, DateTimeOffset now, CancellationToken ct)
    {
        var scoped = (await connection.QueryAsync<(string TenantId, string PatientId)>(new CommandDefinition("""
            select c.tenant_id, c.patient_id from contacts c join tenants t on t.tenant_id = c.tenant_id
            where (c.whatsapp_e164 = @phone or (c.whatsapp_e164 is null and c.phone_e164 = @phone)) and t.whatsapp_from = @to
            """, new { phone, to }, tx, cancellationToken: ct))).ToArray();
        if (scoped.Length == 0)
        {
            return 0;
        }

        return await connection.ExecuteAsync(new CommandDefinition("""
            insert into whatsapp_sessions (tenant_id, patient_id, last_inbound_at)
            select t, p, @now from unnest(@tenants, @patients) as u (t, p)
            on conflict (tenant_id, patient_id) do update set last_inbound_at = greatest(whatsapp_sessions.last_inbound_at, excluded.last_inbound_at)
            """, new
        {
            tenants = scoped.Select(c => c.TenantId).ToArray(),
            patients = scoped.Select(c => c.PatientId).ToArray(),
            now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
    }

    /// <summary>
    /// The (tenant, patient) pairs a reply concerns: every patient whose mobile or WhatsApp number on record is the
    /// sender, scoped to the clinics that send from the number the reply went to (the To number, or the Messaging
    /// Service). A STOP to a number no configured clinic sends from (a pool number, a changed sender) still withdraws
    /// everywhere the number is on record: losing a STOP is the worse error. A START there grants nothing: consent
    /// is given to a clinic, and we cannot tell which one. START re-grants only a channel the patient had withdrawn,
    /// so a bare "YES" never creates a first consent without the wording the patient saw (art. 7(1)).
    /// </summary>
    private static async Task<IReadOnlyList<(string TenantId, string PatientId)>> PatientsInScopeAsync(NpgsqlConnection connection,
        NpgsqlTransaction tx, string phone, Channel channel, string to, string messagingServiceSid, KeywordIntent intent, CancellationToken ct)
    {
        var candidates = (await connection.QueryAsync<(string TenantId, string PatientId, string? Current, bool SendsFrom, bool KnownSender)>(
            new CommandDefinition($"""
            select c.tenant_id, c.patient_id, cc.action, coalesce({SendsFromSql}, false),
                   exists (select 1 from tenants t where {SendsFromSql})
            from contacts c
            join tenants t on t.tenant_id = c.tenant_id
            left join consent_current cc on cc.tenant_id = c.tenant_id and cc.patient_id = c.patient_id
                 and cc.purpose = 'marketing' and cc.channel = @channel
            where c.phone_e164 = @phone or c.whatsapp_e164 = @phone
            """, new { phone, channel = WireNames.Of(channel), to, mss = messagingServiceSid }, tx, cancellationToken: ct))).ToList();

        var scoped = candidates.Where(c => c.KnownSender ? c.SendsFrom : intent == KeywordIntent.OptOut);
        if (intent == KeywordIntent.OptIn)
        {
            scoped = scoped.Where(c => c.Current == "withdraw");
        }
        else if (intent == KeywordIntent.Help)
        {
            return []; // HELP changes no consent
        }

        return [.. scoped.Select(c => (c.TenantId, c.PatientId))];
    }

    private static string StripPrefix(string address) =>
        address.StartsWith("whatsapp:", StringComparison.Ordinal) ? address["whatsapp:".Length..] : address;

    private static ContentHttpResult Twiml(string? message = null) => TypedResults.Content(
        message is null
            ? EmptyTwiml
            : $"""<?xml version="1.0" encoding="UTF-8"?><Response><Message>{SecurityElement.Escape(message)}</Message></Response>""",
        "text/xml; charset=utf-8");
}

/// <summary>Log category for the webhook.</summary>
public sealed class TwilioInboundWebhookLog;
