using CommsGateway.Features.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Review;

/// <summary>A reviewer's request body: an optional note kept with the verdict.</summary>
public sealed record ReviewRequestBody(string? Note);

/// <summary>Answer to a settle request that found the intent already settled (or timed out).</summary>
public sealed record AlreadySettled(string Message, string? Status, string? Verdict, string? ReviewedBy, DateTimeOffset? ReviewedAt);

public static class ReviewFeature
{
    /// <summary>The queue, its key and cipher, without the poller: the CLI hosts these too (same settle path as the API).</summary>
    public static IHostApplicationBuilder AddReviewServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<ReviewOptions>().BindConfiguration(ReviewOptions.Section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReviewOptions>, ReviewOptionsValidator>());
        builder.Services.TryAddSingleton(sp =>
            new ReviewCipher(ReviewOptionsValidator.DecodeKey(sp.GetRequiredService<IOptions<ReviewOptions>>().Value.ContentKey)
                ?? throw new OptionsValidationException(ReviewOptions.Section, typeof(ReviewOptions), ["Review:ContentKey is missing or too short"])));
        builder.Services.TryAddSingleton<ReviewQueue>();
        return builder;
    }

    /// <summary>Review services plus the poller that decides settled intents and times out expired ones.</summary>
    public static IHostApplicationBuilder AddReview(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddReviewServices();
        builder.Services.AddSingleton<ReviewQueueGauge>();
        builder.Services.AddSingleton<ReviewPoller>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReviewPoller>());
        return builder;
    }

    public static IEndpointRouteBuilder MapReviewApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/review").RequireAuthorization().WithTags("Review");
        group.MapGet("", (bool? all, HttpContext http, ReviewQueue queue, CancellationToken ct) => queue.ListAsync(http.User.Tenant(), all ?? false, ct))
            .WithSummary("The clinic's held intents, oldest first (?all=true adds settled ones); no content");
        group.MapGet("/templates", (HttpContext http, ReviewQueue queue, CancellationToken ct) => queue.TemplatesAsync(http.User.Tenant(), ct))
            .WithSummary("Verdicts remembered per template (live and revoked)");
        group.MapDelete("/templates/{templateId:long}", RevokeAsync).WithSummary("Revoke a template verdict: its messages are held again");
        group.MapGet("/{heldId:guid}", ShowAsync).WithSummary("One held intent with its content (until settled), probability and signals");
        group.MapPost("/{heldId:guid}/approve", (Guid heldId, ReviewRequestBody? body, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
            SettleAsync(heldId, ReviewQueue.Service, body, http, queue, ct)).WithSummary("Settle as service: the policy runs again as service");
        group.MapPost("/{heldId:guid}/mark-marketing", (Guid heldId, ReviewRequestBody? body, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
            SettleAsync(heldId, ReviewQueue.Marketing, body, http, queue, ct)).WithSummary("Settle as marketing: consent, footer and quiet hours apply");
        return endpoints;
    }

    private static async Task<Results<Ok<HeldDetail>, NotFound>> ShowAsync(Guid heldId, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
        await queue.ShowAsync(http.User.Tenant(), heldId, ct) is { } detail ? TypedResults.Ok(detail) : TypedResults.NotFound();

    private static async Task<Results<Accepted<SettleResult>, Conflict<AlreadySettled>, NotFound>> SettleAsync(
        Guid heldId, string verdict, ReviewRequestBody? body, HttpContext http, ReviewQueue queue, CancellationToken ct)
    {
        var result = await queue.SettleAsync(http.User.Tenant(), heldId, verdict, http.Actor(), body?.Note, ct);
        return result.Status switch
        {
            // Accepted: the verdict is recorded; the gateway decides the intent within a moment (GET shows the outcome).
            SettleStatus.Settled => TypedResults.Accepted($"/api/review/{heldId}", result),
            SettleStatus.AlreadySettled => TypedResults.Conflict(new AlreadySettled(AlreadySettledMessage(result), result.CurrentStatus, result.Verdict,
                result.ReviewedBy, result.ReviewedAt)),
            _ => TypedResults.NotFound(),
        };
    }

    private static async Task<Results<NoContent, NotFound>> RevokeAsync(long templateId, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
        await queue.RevokeTemplateAsync(http.User.Tenant(), templateId, http.Actor(), ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>"already settled as service by ... at ...", or "timed out": what a second reviewer is told.</summary>
    public static string AlreadySettledMessage(SettleResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.CurrentStatus == "timed_out"
            ? $"Held intent {result.HeldId} already settled: it timed out before anyone reviewed it"
            : $"Held intent {result.HeldId} already settled as {result.Verdict} by {result.ReviewedBy} at {result.ReviewedAt:u}";
    }
}
