extern alias cli;

using CommsGateway.Features.Review;
using CommsGateway.IntegrationTests.Features.Review;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using CliHost = cli::CommsGateway.Cli.CliHost;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// A verdict given with the CLI's own host while no gateway decides (its review poller stopped) is decided when the
/// gateway's poller starts again. Serial: it stops the gateway's poller.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ReviewWhileGatewayDownTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Should_decide_an_intent_settled_with_the_cli_while_the_gateway_was_down_at_its_next_start()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ReviewCommandTests.ClinicAsync(gateway);
        var intent = ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Reminder);
        var heldId = await ReviewCommandTests.PublishHeldAsync(gateway, intent);
        var poller = gateway.Services.GetRequiredService<ReviewPoller>();
        await poller.StopAsync(CancellationToken.None);
        try
        {
            // The CLI's own host: database and review services only, no bus, no pipeline.
            using (var cliHost = await CliHost.StartAsync(CancellationToken.None, builder =>
            {
                builder.Configuration["Database:ConnectionString"] = gateway.Servers.ConnectionString;
                builder.Environment.EnvironmentName = "Testing";
                builder.AddReviewServices();
            }))
            {
                var approve = await CliRunner.RunAsync(cliHost.Services, ["review", "approve", "--tenant", clinic.TenantId, heldId.ToString(), "--actor", "dr.martin"]);
                Assert.True(approve.ExitCode == 0, approve.Console);
                await cliHost.StopAsync();
            }

            await Task.Delay(1500); // a gateway still deciding would have written the final row by now
            Assert.Single(await gateway.DecisionsAsync(clinic.TenantId, intent.IntentId));
            await using var connection = await gateway.Db.OpenConnectionAsync();
            Assert.Equal("settled", await connection.QuerySingleAsync<string>("select status from held_intents where held_id = @heldId", new { heldId }));
        }
        finally
        {
            await poller.StartAsync(CancellationToken.None);
        }

        var rows = await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);
        Assert.Equal(["Held", "Sent"], rows.Select(r => r.Outcome));
        Assert.Equal(CommsGateway.Contracts.ReasonCodes.ReviewedAsService, rows[1].Reasons[0]);
    }
}
