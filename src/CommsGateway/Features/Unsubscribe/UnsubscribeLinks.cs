using CommsGateway.Contracts;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Hosting;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommsGateway.Features.Unsubscribe;

/// <summary>
/// Mints unsubscribe links and renders marketing messages with them: the pipeline's seam between "decided: send"
/// and the provider. Records reference -> patient so the withdrawal can name the patient without the link doing so.
/// </summary>
public sealed class UnsubscribeLinks(
    UnsubscribeTokens tokens,
    IOptions<UnsubscribeOptions> options,
    IOptions<GatewayOptions> gateway,
    NpgsqlDataSource dataSource,
    ClinicNames clinics,
    TimeProvider clock)
{
    /// <summary>A signed link for one patient and channel: {PublicBaseUrl}/u/{token}.</summary>
    public async Task<Uri> IssueAsync(string tenantId, string patientId, Channel channel, UnsubscribeScope scope,
        UnsubscribeLocale locale, string? campaignId, CancellationToken ct)
    {
        var reference = await RegisterAsync(tenantId, patientId, ct);
        return Mint(tenantId, reference, channel, scope, locale, campaignId);
    }

    /// <summary>The patient's opaque reference, recorded so a link carrying it can name the patient later.</summary>
    public async Task<string> RegisterAsync(string tenantId, string patientId, CancellationToken ct)
    {
        var reference = SubscriberReference.Compute(options.Value.SubscriberKeyBytes(), tenantId, patientId);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into unsubscribe_subscribers (tenant_id, subscriber_ref, patient_id)
            values (@tenantId, @reference, @patientId)
            on conflict (tenant_id, subscriber_ref) do nothing
            """, new { tenantId, reference, patientId }, cancellationToken: ct));
        return reference;
    }

    /// <summary>
    /// The subscriber references of links minted without being recorded (<see cref="PreviewAsync"/>) for messages that
    /// are being sent, as ONE statement to run in the transaction that commits their decisions (before any send).
    /// Null when there is none.
    /// </summary>
    public NpgsqlBatchCommand? RecordSubscribersCommand(IEnumerable<(string TenantId, string PatientId)> recipients)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        var key = options.Value.SubscriberKeyBytes();
        var rows = recipients.Distinct().Select(r => (r.TenantId, Reference: SubscriberReference.Compute(key, r.TenantId, r.PatientId), r.PatientId)).ToArray();
        return rows.Length == 0
            ? null
            : new NpgsqlBatchCommand("""
                insert into unsubscribe_subscribers (tenant_id, subscriber_ref, patient_id)
                select * from unnest($1::text[], $2::text[], $3::text[])
                on conflict (tenant_id, subscriber_ref) do nothing
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.TenantId)], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text },
                    new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Reference)], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text },
                    new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.PatientId)], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text },
                },
            };
    }

    private Uri Mint(string tenantId, string reference, Channel channel, UnsubscribeScope scope, UnsubscribeLocale locale, string? campaignId)
    {
        var token = tokens.Issue(tenantId, reference, channel, scope, locale, campaignId, clock.GetUtcNow());
        return new Uri(gateway.Value.PublicBaseUrl.TrimEnd('/') + "/u/" + token);
    }

    /// <summary>
    /// The message as the provider must get it. Marketing (by DETECTED purpose) gets its channel's unsubscribe means;
    /// when <see cref="RenderedMessage.FooterFits"/> is false the caller must not send it (FooterExceedsLimit).
    /// </summary>
    public Task<RenderedMessage> RenderAsync(MessageIntent intent, Purpose detectedPurpose, string? patientLocale, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return RenderAsync(intent, new SendableContent(intent.Subject, intent.Body, intent.Html, detectedPurpose == Purpose.Marketing), patientLocale, ct);
    }

    /// <summary>Renders what the policy decided to send (marketing blocks already removed where it said so).</summary>
    public Task<RenderedMessage> RenderAsync(MessageIntent intent, SendableContent content, string? patientLocale, CancellationToken ct) =>
        RenderAsync(intent, content, patientLocale, record: true, ct);

    /// <summary>
    /// The same rendering for a preview: the link is minted like the real one (same length, so the footer check is
    /// the gateway's) but nothing is written.
    /// </summary>
    public Task<RenderedMessage> PreviewAsync(MessageIntent intent, SendableContent content, string? patientLocale, CancellationToken ct) =>
        RenderAsync(intent, content, patientLocale, record: false, ct);

    private async Task<RenderedMessage> RenderAsync(MessageIntent intent, SendableContent content, string? patientLocale, bool record, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        ArgumentNullException.ThrowIfNull(content);
        var detectedPurpose = content.IsMarketing ? Purpose.Marketing : Purpose.Service;
        var locale = UnsubscribeLocales.From(intent.Locale ?? patientLocale);
        var request = new RenderRequest(intent.Channel, detectedPurpose, locale, content.Subject, content.Body, content.Html)
        {
            ClinicName = await clinics.NameAsync(intent.TenantId, ct),
            UnsubscribeMailto = options.Value.Mailto,
        };
        if (detectedPurpose == Purpose.Marketing)
        {
            // Every channel's link carries the campaign id, SMS included, so the campaign report counts its
            // unsubscribes (issue 7). On SMS it costs 32 characters (a 24-character campaign id, base64url): see README.
            request = request with
            {
                UnsubscribeUrl = record
                    ? await IssueAsync(intent.TenantId, intent.PatientId, intent.Channel, UnsubscribeScope.Channel, locale, intent.CampaignId, ct)
                    : Mint(intent.TenantId, SubscriberReference.Compute(options.Value.SubscriberKeyBytes(), intent.TenantId, intent.PatientId),
                        intent.Channel, UnsubscribeScope.Channel, locale, intent.CampaignId),
            };
        }

        if (request.UnsubscribeUrl is { } unsubscribe && intent.Channel == Channel.Email)
        {
            // Email has room for both links; SMS and WhatsApp keep one, whose page leads to the preferences.
            request = request with { PreferencesUrl = PreferencesUrlFor(unsubscribe) };
        }

        return MessageRenderer.Render(request);
    }

    /// <summary>The opaque reference links carry for this patient (what receipts name them by).</summary>
    public string SubscriberReferenceOf(string tenantId, string patientId) =>
        SubscriberReference.Compute(options.Value.SubscriberKeyBytes(), tenantId, patientId);

    /// <summary>
    /// The preference centre of the same signed token: {PublicBaseUrl}/p/{token}. One token, two pages: the link names
    /// nobody, and whoever holds the unsubscribe link may already withdraw everything it covers.
    /// </summary>
    public Uri PreferencesUrlFor(Uri unsubscribeUrl)
    {
        ArgumentNullException.ThrowIfNull(unsubscribeUrl);
        var token = unsubscribeUrl.AbsolutePath[(unsubscribeUrl.AbsolutePath.LastIndexOf('/') + 1)..];
        return new Uri(gateway.Value.PublicBaseUrl.TrimEnd('/') + "/p/" + token);
    }
}
