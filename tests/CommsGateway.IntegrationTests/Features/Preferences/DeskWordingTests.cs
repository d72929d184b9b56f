using CommsGateway.Features.Preferences;
using CommsGateway.IntegrationTests.Features.Webhooks;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Preferences;

/// <summary>The desk form's sentences live in the clinic's wordings catalogue, kept once by hash, never shown to patients.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DeskWordingTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Should_keep_a_desk_sentence_once_by_its_hash_apart_from_the_patient_pages_wordings()
    {
        var tenant = Seed.NewTenant();
        await CommsGateway.IntegrationTests.Cli.CliRunner.RunAsync(gateway.Services, ["tenant", "add", tenant, "--name", "Clinique des Tilleuls"]);
        var catalogue = gateway.Services.GetRequiredService<WordingCatalogue>();
        const string Sentence = "J'accepte de recevoir les offres et actualités de Clinique des Tilleuls par SMS.";
        const string Sha = "5D41402ABC4B2A76B9719D911017C592";

        await catalogue.KeepDeskWordingAsync(tenant, "marketing.sms", "fr", "desk-marketing-sms-v1-fr", Sentence, Sha, default);
        await catalogue.KeepDeskWordingAsync(tenant, "marketing.sms", "fr", "desk-marketing-sms-v1-fr", Sentence, Sha, default);
        var registered = await catalogue.AddAsync(tenant, "marketing.sms", "fr", "desk-marketing-sms-v1-fr", "Un texte de la clinique.",
            CommsGateway.Features.Admin.Actor.Cli("dpo"), default);

        await using var connection = await gateway.Db.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(string ShownOn, string Text)>(
            "select shown_on, text from consent_wordings where tenant_id = @tenant order by seq", new { tenant })).ToList();
        Assert.Equal([("desk", Sentence), ("patient_pages", "Un texte de la clinique.")], rows);
        Assert.Null(registered.Error);
        var shown = Assert.Single(await catalogue.ListAsync(tenant, default));
        Assert.Equal("Un texte de la clinique.", shown.Text);
    }
}
