using System.Net;
using CommsGateway.Contracts;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Webhooks;
using CommsGateway.FakeProviders;
using CommsGateway.Features.Intents;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Providers;

[Collection(GatewayCollection.Name)]
public sealed class ProviderDispatchTests(GatewayFixture gateway)
{
    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static MessageIntent Intent(Channel channel, string to, string? tenant = null) => new()
    {
        IntentId = NewId("prov"),
        TenantId = tenant ?? NewId("t"),
        Producer = "booking",
        PatientId = "p-42",
        Channel = channel,
        DeclaredPurpose = Purpose.Service,
        Category = "appointment_reminder",
        Subject = channel == Channel.Email ? "Your appointment tomorrow" : null,
        Body = "Reminder: your appointment with Dr Patel is tomorrow at 10:30.",
        Html = channel == Channel.Email ? "<p>Reminder: your appointment with <b>Dr Patel</b> is tomorrow at 10:30.</p>" : null,
        To = to,
    };

    private async Task<(MessageDecided Decided, DispatchRow Dispatch)> SendAsync(MessageIntent intent)
    {
        await gateway.SeedRecipientAsync(intent);
        await gateway.PublishAsync(intent);
        var decided = Assert.Single(await gateway.WaitForDecidedAsync(intent.IntentId));
        return (decided, await DispatchAsync(intent.IntentId));
    }

    [Fact]
    public async Task Should_send_email_through_the_SendGrid_SDK_with_ids_only_in_custom_args()
    {
        var intent = Intent(Channel.Email, "patient@example.org");

        var (decided, dispatch) = await SendAsync(intent);

        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal("sendgrid", accepted.Provider);
        Assert.Equal(decided.DecisionId.ToString(), accepted.DecisionId);
        Assert.Equal("patient@example.org", accepted.To);
        Assert.Equal("rendez-vous@clinique.example", accepted.From);
        Assert.Equal(intent.Subject, accepted.Subject);
        Assert.Equal(intent.Html, accepted.Html);
        Assert.Equal(["service", "appointment_reminder"], accepted.Categories);
        Assert.Equal("sent", dispatch.Status);
        Assert.Equal(accepted.ProviderMessageId, dispatch.ProviderMessageId);
    }

    [Fact]
    public async Task Should_send_sms_through_Twilio_from_the_tenant_sender_with_a_status_callback()
    {
        var intent = Intent(Channel.Sms, "+33612000001");

        var (decided, dispatch) = await SendAsync(intent);

        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal(("twilio", "sms", "+33612000001", FakeProviderSettings.ShortCode), (accepted.Provider, accepted.Channel, accepted.To, accepted.From));
        Assert.Equal(intent.Body, accepted.Text);
        Assert.Contains($"decisionId={decided.DecisionId}", accepted.StatusCallback, StringComparison.Ordinal);
        Assert.StartsWith("SM", dispatch.ProviderMessageId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_send_sms_through_the_tenants_Messaging_Service_instead_of_a_From_number()
    {
        var intent = Intent(Channel.Sms, "+33612000031", FakeProviderSettings.ServicePoolClinic);

        var (decided, _) = await SendAsync(intent);

        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal((FakeProviderSettings.MessagingServiceSid, null), (accepted.MessagingServiceSid, accepted.FromParameter));
        // The default tenant still sends from its short code.
        var other = Intent(Channel.Sms, "+33612000032");
        await SendAsync(other);
        var plain = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == other.IntentId);
        Assert.Equal((null, FakeProviderSettings.ShortCode), (plain.MessagingServiceSid, plain.FromParameter));
    }

    [Fact]
    public async Task Should_send_email_from_the_tenants_own_sender_name_and_reply_to()
    {
        var intent = Intent(Channel.Email, "own@example.org", FakeProviderSettings.OwnSenderClinic);

        var (decided, _) = await SendAsync(intent);

        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal(("contact@peau-claire.example", "Cabinet Peau Claire", "secretariat@peau-claire.example"),
            (accepted.From, accepted.FromName, accepted.ReplyTo));
        // A tenant without its own entry keeps the defaults.
        var other = Intent(Channel.Email, "default@example.org");
        await SendAsync(other);
        var plain = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == other.IntentId);
        Assert.Equal(("rendez-vous@clinique.example", "Clinique des Lilas", "accueil@clinique.example"), (plain.From, plain.FromName, plain.ReplyTo));
    }

    [Fact]
    public async Task Should_send_whatsapp_with_the_prefix_and_the_named_template()
    {
        var intent = Intent(Channel.WhatsApp, "+33612000002") with
        {
            Template = new WhatsAppTemplate { ContentSid = "HX1234", Variables = new Dictionary<string, string> { ["1"] = "10:30" } },
        };

        var (decided, _) = await SendAsync(intent);

        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal(("whatsapp:+33612000002", "whatsapp:" + FakeProviderSettings.WhatsAppFrom), (accepted.To, accepted.From));
        Assert.Equal("HX1234", accepted.ContentSid);
        Assert.Equal("""{"1":"10:30"}""", accepted.ContentVariables);
    }

    [Fact]
    public async Task Should_fail_as_RecipientOptedOut_on_Twilio_21610_and_note_the_opt_out()
    {
        var intent = Intent(Channel.Sms, FakeProviderServer.OptedOutNumber);

        var (decided, dispatch) = await SendAsync(intent);

        Assert.Equal(DecisionOutcome.Failed, decided.Outcome);
        Assert.Contains(ReasonCodes.RecipientOptedOut, decided.Reasons);
        Assert.Equal(("failed", ReasonCodes.RecipientOptedOut), (dispatch.Status, dispatch.ErrorCode));
        Assert.Contains("21610", dispatch.ErrorDetail, StringComparison.Ordinal);
        Assert.Equal(1, await Scalar<long>("select count(*) from provider_opt_outs where tenant_id = @TenantId and channel = 'sms' and address = @To", new { intent.TenantId, intent.To }));
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
    }

    [Fact]
    public async Task Should_fail_as_InvalidRecipient_on_Twilio_21211()
    {
        var (decided, dispatch) = await SendAsync(Intent(Channel.Sms, FakeProviderServer.InvalidNumber));

        Assert.Equal(DecisionOutcome.Failed, decided.Outcome);
        Assert.Contains(ReasonCodes.InvalidRecipient, decided.Reasons);
        Assert.Equal(ReasonCodes.InvalidRecipient, dispatch.ErrorCode);
    }

    [Fact]
    public async Task Should_fail_as_WhatsAppOutsideWindow_on_Twilio_63016()
    {
        var (decided, _) = await SendAsync(Intent(Channel.WhatsApp, FakeProviderServer.OutsideWindowNumber));

        Assert.Equal(DecisionOutcome.Failed, decided.Outcome);
        Assert.Contains(ReasonCodes.WhatsAppOutsideWindow, decided.Reasons);
    }

    [Fact]
    public async Task Should_fail_as_ProviderRejected_with_SendGrids_error_text_on_400()
    {
        var (decided, dispatch) = await SendAsync(Intent(Channel.Email, "someone" + FakeProviderServer.RejectedEmailDomain));

        Assert.Equal(DecisionOutcome.Failed, decided.Outcome);
        Assert.Contains(ReasonCodes.ProviderRejected, decided.Reasons);
        Assert.Contains("Does not contain a valid address.", dispatch.ErrorDetail, StringComparison.Ordinal);
        Assert.StartsWith("400", dispatch.ErrorDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_finish_a_decision_to_send_that_a_crash_left_without_a_dispatch()
    {
        // The process died after writing the decision, before claiming the dispatch: the redelivery sends it, once.
        var intent = Intent(Channel.Email, "resume@example.org");
        var decisionId = Guid.CreateVersion7();
        var log = gateway.Services.GetRequiredService<DecisionLog>();
        Assert.True(await log.TryAppendAsync(new DecisionRecord(decisionId, intent.TenantId, intent.IntentId, intent.PatientId, intent.Producer,
            intent.Channel, intent.Category, null, intent.DeclaredPurpose, Purpose.Service, DecisionOutcome.Sent, [ReasonCodes.ServiceMessage], [],
            null, null, SendPolicy.Version, null, DateTimeOffset.UtcNow), CancellationToken.None));

        await gateway.SeedRecipientAsync(intent);
        await gateway.PublishAsync(intent);
        await gateway.PublishAsync(intent);

        var events = await gateway.WaitForDecidedAsync(intent.IntentId, count: 2);
        Assert.Equal([DecisionOutcome.Sent, DecisionOutcome.Duplicate], events.Select(e => e.Outcome).Order());
        Assert.Equal(decisionId, Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId).DecisionId is { } d ? Guid.Parse(d) : Guid.Empty);
        Assert.Equal("sent", (await DispatchAsync(intent.IntentId)).Status);
    }

    // A gateway process that no longer exists: nobody holds its advisory lock.
    private const long DeadClaimant = 4_242;

    [Fact]
    public async Task Should_send_once_a_claimed_dispatch_that_a_crash_kept_from_the_provider()
    {
        // The process died after committing the decision with its claim, before its call reached the provider.
        var intent = Intent(Channel.Email, "claimed@example.org");
        var decisionId = Guid.CreateVersion7();
        var log = gateway.Services.GetRequiredService<DecisionLog>();
        Assert.True((await log.AppendAsync(new DecisionRecord(decisionId, intent.TenantId, intent.IntentId, intent.PatientId, intent.Producer,
            intent.Channel, intent.Category, null, intent.DeclaredPurpose, Purpose.Service, DecisionOutcome.Sent, [ReasonCodes.ServiceMessage], [],
            null, null, SendPolicy.Version, null, DateTimeOffset.UtcNow), "sendgrid", CancellationToken.None)).Claimed);
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update dispatches set claimed_by = @DeadClaimant where decision_id = @decisionId", new { DeadClaimant, decisionId });
        }

        await gateway.SeedRecipientAsync(intent);
        await gateway.PublishAsync(intent); // the broker's redelivery of the unacknowledged intent

        Assert.Equal(DecisionOutcome.Sent, Assert.Single(await gateway.WaitForDecidedAsync(intent.IntentId)).Outcome);
        var sent = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal(decisionId.ToString(), sent.DecisionId);
        var dispatch = await DispatchAsync(intent.IntentId);
        Assert.Equal(("sent", sent.ProviderMessageId), (dispatch.Status, dispatch.ProviderMessageId));
    }

    [Fact]
    public async Task Should_record_as_sent_without_sending_again_a_claimed_dispatch_the_provider_already_has()
    {
        // The process died after the provider accepted, before recording its answer.
        var intent = Intent(Channel.Email, "accepted@example.org");
        await SendAsync(intent);
        var first = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                update dispatches set status = 'dispatching', provider_message_id = null, claimed_by = @DeadClaimant where intent_id = @IntentId
                """, new { DeadClaimant, intent.IntentId });
        }

        gateway.Decided.Clear();
        await gateway.PublishAsync(intent);

        Assert.Equal(DecisionOutcome.Sent, Assert.Single(await gateway.WaitForDecidedAsync(intent.IntentId)).Outcome);
        Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        var dispatch = await DispatchAsync(intent.IntentId);
        Assert.Equal(("sent", first.ProviderMessageId), (dispatch.Status, dispatch.ProviderMessageId));
    }

    [Fact]
    public async Task Should_reconcile_interrupted_dispatches_from_the_providers_own_record()
    {
        var reached = Intent(Channel.Email, "reached@example.org");
        var lost = Intent(Channel.Sms, FakeProviderServer.InvalidNumber);
        await SendAsync(reached);
        await SendAsync(lost);
        gateway.Decided.Clear();

        // Simulate a crash between the provider call and recording its answer.
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                update dispatches set status = 'dispatching', provider_message_id = null, error_code = null,
                       updated_at = now() - interval '1 hour'
                where intent_id = any(@ids)
                """, new { ids = new[] { reached.IntentId, lost.IntentId } });
        }

        var reachedEvent = Assert.Single(await gateway.WaitForDecidedAsync(reached.IntentId));
        var lostEvent = Assert.Single(await gateway.WaitForDecidedAsync(lost.IntentId));
        Assert.Equal(DecisionOutcome.Sent, reachedEvent.Outcome);
        Assert.Equal(DecisionOutcome.Failed, lostEvent.Outcome);
        // Each event is its decision's (id, channel, what the classifier found, when), as the interrupted consumer would have
        // published it; the failed one adds why the send was not made to the decision's reasons.
        var log = gateway.Services.GetRequiredService<DecisionLog>();
        foreach (var (intent, decided) in new[] { (reached, reachedEvent), (lost, lostEvent) })
        {
            var decision = (await log.FindAsync(intent.TenantId, intent.IntentId, CancellationToken.None))!;
            Assert.Equal((decision.DecisionId, intent.Channel, decision.DetectedPurpose, decision.DecidedAt),
                (decided.DecisionId, decided.Channel, decided.DetectedPurpose, decided.DecidedAt));
            Assert.Equal(decision.Reasons, decided.Reasons.Take(decision.Reasons.Count));
            Assert.Equal(intent == lost ? [ReasonCodes.ProcessingFailed] : [], decided.Reasons.Skip(decision.Reasons.Count));
        }
        var reachedRow = await DispatchAsync(reached.IntentId);
        Assert.Equal("sent", reachedRow.Status);
        Assert.Equal(gateway.Fake.Accepted.Single(m => m.IntentId == reached.IntentId).ProviderMessageId, reachedRow.ProviderMessageId);
        Assert.Equal("failed", (await DispatchAsync(lost.IntentId)).Status);
    }

    [Fact]
    public async Task Should_record_a_signed_Twilio_status_callback_and_refuse_a_forged_one()
    {
        var intent = Intent(Channel.Sms, "+33612000003");
        var (decided, dispatch) = await SendAsync(intent);
        var callback = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId).StatusCallback!;
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = dispatch.ProviderMessageId!,
            ["MessageStatus"] = "undelivered",
            ["ErrorCode"] = "30003",
            ["To"] = intent.To!,
            ["AccountSid"] = gateway.Fake.Options.TwilioAccountSid,
        };
        var signature = TwilioSignature.Compute(gateway.Fake.Options.TwilioAuthToken, callback, form);
        var path = new Uri(callback).PathAndQuery;
        using var client = gateway.Factory.CreateClient();

        using var forged = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        forged.Headers.Add("X-Twilio-Signature", "AAAA" + signature[4..]);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(forged)).StatusCode);

        using var signed = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        signed.Headers.Add("X-Twilio-Signature", signature);
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(signed)).StatusCode);

        var delivery = await Scalar<string>("select status || ':' || error_code from deliveries where decision_id = @DecisionId", new { decided.DecisionId });
        Assert.Equal("undelivered:30003", delivery);
        Assert.Equal("undelivered", (await DispatchAsync(intent.IntentId)).DeliveryStatus);
    }

    [Fact]
    public async Task Should_show_what_the_patient_receives_on_the_dev_outbox()
    {
        var intent = Intent(Channel.Email, "outbox@example.org") with
        {
            Html = "<p>See you tomorrow. <a href=\"https://clinic.example/directions\">How to find us</a></p>",
        };
        await SendAsync(intent);

        using var client = gateway.Factory.CreateClient();
        var page = await client.GetStringAsync("/dev/outbox");

        Assert.Contains(intent.IntentId, page, StringComparison.Ordinal);
        Assert.Contains("href=&quot;https://clinic.example/directions&quot;", page, StringComparison.Ordinal); // inside the sandboxed srcdoc
    }

    public sealed record DispatchRow
    {
        public string Status { get; init; } = "";
        public string? ProviderMessageId { get; init; }
        public string? ErrorCode { get; init; }
        public string? ErrorDetail { get; init; }
        public string? DeliveryStatus { get; init; }
    }

    private async Task<DispatchRow> DispatchAsync(string intentId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<DispatchRow>(
            "select status, provider_message_id, error_code, error_detail, delivery_status from dispatches where intent_id = @intentId", new { intentId });
    }

    private async Task<T> Scalar<T>(string sql, object args)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException("no value");
    }
}
