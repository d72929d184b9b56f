using System.Globalization;
using System.Text;
using CommsGateway.Core.Classification;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Review;
using CommsGateway.Hosting;
using CommsGateway.Providers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommsGateway.Features.Campaigns;

public static class CampaignsFeature
{
    /// <summary>Campaign services without HTTP (the CLI hosts these too). Decides previews with the intents' decider (IntentsFeature.AddIntentDecisions).</summary>
    public static IHostApplicationBuilder AddCampaigns(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<RabbitMqOptions>().BindConfiguration(RabbitMqOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<ContentClassifier>();
        builder.Services.AddSingleton<CampaignStore>();
        builder.Services.AddSingleton<CampaignMessages>();
        builder.Services.AddSingleton<CampaignPublisher>();
        // Preview decides as the gateway does, through the gateway's own decider (also in the CLI, which has no providers).
        builder.Services.AddSenderOptions();
        Intents.IntentsFeature.AddIntentDecisions(builder.Services);
        builder.AddReviewServices();
        builder.Services.AddSingleton<CampaignService>();
        builder.Services.AddSingleton<CampaignReports>();
        return builder;
    }

    public static IEndpointRouteBuilder MapCampaigns(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/campaigns").RequireAuthorization().WithTags("Campaigns")
            .WithBodyLimit(1024 * 1024); // templates, html included
        group.MapPost("/preview", Preview).WithSummary("Audience size, per-channel Sent/Blocked/Deferred by reason, three sample messages; writes nothing");
        group.MapPost("", CreateAndQueue).WithSummary("Create a campaign and queue it (one intent per recipient, decided by the gateway)");
        group.MapPost("/{campaignId}/queue", Requeue).WithSummary("Queue again after an interruption: nobody gets a message twice");
        group.MapPost("/{campaignId}/cancel", Cancel).WithSummary("Cancel: intents not yet decided are Blocked (CampaignCancelled)");
        group.MapGet("/{campaignId}", Report).WithSummary("Counts by outcome and reason, delivery statuses, unsubscribes");
        group.MapGet("/{campaignId}/recipients.csv", Csv).WithSummary("Per-recipient outcomes as CSV (patient ids only, no addresses)");
        return endpoints;
    }

    private static async Task<Results<Ok<CampaignPreview>, ValidationProblem>> Preview(
        CampaignDefinition body, HttpContext http, CampaignService campaigns, CancellationToken ct)
    {
        var preview = await campaigns.PreviewAsync(http.User.Tenant(), body, null, ct);
        return preview.Problems.Count > 0 ? Problem(preview.Problems) : TypedResults.Ok(preview);
    }

    private static async Task<Results<Created<QueueResult>, ValidationProblem>> CreateAndQueue(
        CampaignDefinition body, HttpContext http, CampaignService campaigns, CancellationToken ct)
    {
        var errors = body.Validate();
        if (errors.Count > 0)
        {
            return Problem(errors);
        }

        var tenant = http.User.Tenant();
        var id = await campaigns.CreateAsync(tenant, body, http.Actor(), ct);
        var result = await campaigns.QueueAsync(tenant, id, null, ct);
        return result.Ok
            ? TypedResults.Created($"/api/campaigns/{id}", result)
            : Problem(result.Problems, $"Campaign {id} saved as a draft but not queued");
    }

    private static async Task<Results<Ok<QueueResult>, NotFound, ValidationProblem>> Requeue(
        string campaignId, HttpContext http, CampaignService campaigns, CancellationToken ct)
    {
        try
        {
            var result = await campaigns.QueueAsync(http.User.Tenant(), campaignId, null, ct);
            return result.Ok ? TypedResults.Ok(result) : Problem(result.Problems, "Not queued");
        }
        catch (KeyNotFoundException)
        {
            return TypedResults.NotFound();
        }
    }

    private static async Task<Results<NoContent, NotFound>> Cancel(string campaignId, HttpContext http, CampaignService campaigns, CancellationToken ct) =>
        await campaigns.CancelAsync(http.User.Tenant(), campaignId, http.Actor(), ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static async Task<Results<Ok<CampaignReport>, NotFound>> Report(string campaignId, HttpContext http, CampaignReports reports, CancellationToken ct) =>
        await reports.ReportAsync(http.User.Tenant(), campaignId, ct) is { } report ? TypedResults.Ok(report) : TypedResults.NotFound();

    private static async Task<Results<FileContentHttpResult, NotFound>> Csv(string campaignId, HttpContext http, CampaignReports reports, CampaignStore store, CancellationToken ct)
    {
        var tenant = http.User.Tenant();
        if (await store.FindAsync(tenant, campaignId, ct) is null)
        {
            return TypedResults.NotFound();
        }

        var csv = await ToCsvAsync(reports.LinesAsync(tenant, campaignId, ct));
        return TypedResults.File(Encoding.UTF8.GetBytes(csv), "text/csv", $"{campaignId}.csv");
    }

    /// <summary>Patient id, channel, outcome, reasons, dispatch status, decided at, provider error code: nothing else (data minimisation).</summary>
    public static async Task<string> ToCsvAsync(IAsyncEnumerable<CampaignReportLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var csv = new StringBuilder("patient_id,channel,outcome,reasons,dispatch_status,decided_at,provider_code\n");
        await foreach (var l in lines)
        {
            csv.Append(CultureInfo.InvariantCulture,
                $"{Field(l.PatientId)},{Field(l.Channel)},{Field(l.Outcome)},{Field(string.Join(';', l.Reasons))},{Field(l.DispatchStatus)},{l.DecidedAt:O},{Field(l.ProviderCode)}\n");
        }

        return csv.ToString();
    }

    // RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed (the one rule of every CSV export).
    private static string Field(string? value) => Core.Contacts.CsvText.Cell(value);

    private static ValidationProblem Problem(IReadOnlyList<string> problems, string title = "Campaign refused") =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["campaign"] = [.. problems] }, title: title);
}
