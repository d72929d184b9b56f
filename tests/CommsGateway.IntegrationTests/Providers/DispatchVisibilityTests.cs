extern alias cli;

using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.FakeProviders;
using CommsGateway.Features.Audit;
using CommsGateway.IntegrationTests.Infrastructure;
using CommsGateway.Observability;
using Microsoft.Extensions.DependencyInjection;
using DecisionsCommand = cli::CommsGateway.Cli.Commands.DecisionsCommand;

namespace CommsGateway.IntegrationTests.Providers;

/// <summary>
/// A provider failure leaves the append-only decision row Sent; operators must still find it: the dispatch's status and
/// codes on every item of GET /api/decisions and `commsgw decisions`, a dispatch filter, and the metric counting Failed.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DispatchVisibilityTests(GatewayFixture gateway)
{
    private static MessageIntent Sms(string tenant, string to) => new()
    {
        IntentId = $"vis-{Guid.NewGuid():N}", TenantId = tenant, Producer = "booking", PatientId = Clinic.NewPatient(),
        Channel = Channel.Sms, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
        Body = "Reminder: your appointment with Dr Patel is tomorrow at 10:30.", To = to,
    };

    /// <summary>A clinic with one SMS the provider refuses (Twilio 21211) and one it accepts.</summary>
    private async Task<(Clinic Clinic, MessageIntent Refused, MessageIntent Accepted)> SendBothAsync()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var refused = Sms(clinic.TenantId, FakeProviderServer.InvalidNumber);
        var accepted = Sms(clinic.TenantId, "+33612000021");
        foreach (var intent in new[] { refused, accepted })
        {
            await gateway.SeedRecipientAsync(intent);
            await gateway.PublishAsync(intent);
        }

        Assert.Equal(DecisionOutcome.Failed, Assert.Single(await gateway.WaitForDecidedAsync(refused.IntentId)).Outcome);
        Assert.Equal(DecisionOutcome.Sent, Assert.Single(await gateway.WaitForDecidedAsync(accepted.IntentId)).Outcome);
        return (clinic, refused, accepted);
    }

    [Fact]
    public async Task Should_show_the_failed_dispatch_with_its_codes_and_find_it_by_the_dispatch_filter()
    {
        var (clinic, refused, accepted) = await SendBothAsync();

        var all = await clinic.Http.GetFromJsonAsync<DecisionPage>("/api/decisions");
        var refusedItem = Assert.Single(all!.Items, i => i.IntentId == refused.IntentId);
        Assert.Equal("Sent", refusedItem.Outcome); // the decision stands; the provider's refusal is on the dispatch
        Assert.Equal(("failed", ReasonCodes.InvalidRecipient, "21211"), (refusedItem.DispatchStatus, refusedItem.DispatchErrorCode, refusedItem.ProviderErrorCode));
        var acceptedItem = Assert.Single(all.Items, i => i.IntentId == accepted.IntentId);
        Assert.Equal(("sent", null, null), (acceptedItem.DispatchStatus, acceptedItem.DispatchErrorCode, acceptedItem.ProviderErrorCode));

        var failed = await clinic.Http.GetFromJsonAsync<DecisionPage>("/api/decisions?dispatch=failed");
        Assert.Equal(refused.IntentId, Assert.Single(failed!.Items).IntentId);
        var sent = await clinic.Http.GetFromJsonAsync<DecisionPage>("/api/decisions?dispatch=SENT");
        Assert.Equal(accepted.IntentId, Assert.Single(sent!.Items).IntentId);
        // What the runbooks used to say finds nothing: the failure never reaches the decision's outcome.
        Assert.Empty((await clinic.Http.GetFromJsonAsync<DecisionPage>("/api/decisions?outcome=Failed"))!.Items);
        Assert.Equal(HttpStatusCode.BadRequest, (await clinic.Http.GetAsync("/api/decisions?dispatch=lost")).StatusCode);
    }

    [Fact]
    public async Task Should_list_the_failed_dispatch_with_commsgw_decisions_dispatch_failed()
    {
        var (clinic, refused, _) = await SendBothAsync();
        await using var output = new StringWriter(CultureInfo.InvariantCulture);

        var exit = await DecisionsCommand.Create()
            .Parse(["--connection", gateway.Servers.ConnectionString, "--tenant", clinic.TenantId, "--dispatch", "failed", "--json"])
            .InvokeAsync(new InvocationConfiguration { Output = output });

        Assert.Equal(0, exit);
        var page = JsonSerializer.Deserialize<DecisionPage>(output.ToString(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        var item = Assert.Single(page.Items);
        Assert.Equal((refused.IntentId, "failed", ReasonCodes.InvalidRecipient, "21211"),
            (item.IntentId, item.DispatchStatus, item.DispatchErrorCode, item.ProviderErrorCode));
        Assert.Equal("failed InvalidRecipient (21211)", DecisionsCommand.Dispatch(item));
    }

    [Fact]
    public async Task Should_count_a_refused_send_as_Failed_in_the_decisions_metric()
    {
        // Only this gateway's meter (its IMeterFactory is the scope): other test hosts in the process count too.
        var scope = gateway.Services.GetRequiredService<IMeterFactory>();
        var counted = new ConcurrentQueue<(string Instrument, string? Outcome, string? Channel, string? Reason)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == GatewayMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope)
                    && instrument.Name is "commsgw.decisions" or "commsgw.decision.reasons")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            var all = tags.ToArray();
            string? Tag(string name) => all.FirstOrDefault(t => t.Key == name).Value?.ToString();
            counted.Enqueue((instrument.Name, Tag("outcome"), Tag("channel"), Tag("reason")));
        });
        listener.Start();

        await SendBothAsync();

        var decisions = counted.Where(c => c is { Instrument: "commsgw.decisions", Channel: "Sms" }).Select(c => c.Outcome).Order().ToList();
        Assert.Equal(["Failed", "Sent"], decisions); // before the fix: Sent, Sent
        Assert.Contains(counted, c => c is { Instrument: "commsgw.decision.reasons", Outcome: "Failed", Reason: ReasonCodes.InvalidRecipient });
    }
}
