using System.Security.Claims;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Admin;
using CommsGateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommsGateway.Features.Consent;

/// <summary>A consent request body: a grant or a withdrawal for one purpose and one channel (or, for withdrawals, several).</summary>
public sealed record ConsentRequestBody
{
    public string? Purpose { get; init; }

    public string? Channel { get; init; }

    /// <summary>Withdrawals only: several channels at once. A grant naming several is refused (unbundled consent).</summary>
    public IReadOnlyList<string>? Channels { get; init; }

    /// <summary>Accepted only to refuse bundling with a clear error.</summary>
    public IReadOnlyList<string>? Purposes { get; init; }

    public string? Placement { get; init; }

    public DateTimeOffset? OccurredAt { get; init; }

    public ConsentEvidence? Evidence { get; init; }

    internal ConsentCommand ToCommand(string tenantId, string patientId, ConsentAction action) => new()
    {
        TenantId = tenantId,
        PatientId = patientId,
        Action = action,
        Purposes = [.. Purposes ?? [], .. Purpose is null ? Array.Empty<string>() : [Purpose]],
        Channels = [.. Channels ?? [], .. Channel is null ? Array.Empty<string>() : [Channel]],
        Placement = Placement,
        OccurredAt = OccurredAt,
        Evidence = Evidence ?? new ConsentEvidence(),
    };
}

public sealed record ConsentRecorded(IReadOnlyList<long> EventIds);

/// <summary>
/// The consent ledger and the opt-outs: <see cref="ConsentLedger"/> records grants and withdrawals and answers what a
/// patient agreed to; <see cref="OptOuts"/> takes every opt-out, whatever its source. The admin API's consent
/// endpoints live here; the gateway and the CLI register the same services (same code paths).
/// </summary>
public static class ConsentFeature
{
    public static IHostApplicationBuilder AddConsent(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<TenantDirectory>();
        builder.Services.TryAddSingleton<ConsentLedger>();
        builder.Services.TryAddSingleton<OptOuts>();
        return builder;
    }

    public static IEndpointRouteBuilder MapConsent(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var patients = endpoints.MapPatientApi();
        patients.MapPost("/consents", (string patientId, ConsentRequestBody body, HttpContext http, ConsentLedger ledger, CancellationToken ct) =>
            RecordConsent(body.ToCommand(http.User.Tenant(), patientId, ConsentAction.Grant), http, ledger.RecordAsync, ct))
            .WithSummary("Record one grant: one purpose, one channel, with evidence").WithBodyLimit(ClinicsApi.ConsentBodyBytes);
        patients.MapPost("/consents/withdrawals", (string patientId, ConsentRequestBody body, HttpContext http, OptOuts optOuts, CancellationToken ct) =>
            RecordConsent(body.ToCommand(http.User.Tenant(), patientId, ConsentAction.Withdraw), http, optOuts.WithdrawAsync, ct))
            .WithSummary("Record a withdrawal; effective for every later decision").WithBodyLimit(ClinicsApi.ConsentBodyBytes);
        patients.MapGet("/consents", GetCurrent).WithSummary("Current consent per purpose and channel");
        patients.MapGet("/consents/history", GetHistory).WithSummary("Every grant and withdrawal with its evidence");
        return endpoints;
    }

    private static async Task<Results<Created<ConsentRecorded>, ValidationProblem, ProblemHttpResult, NotFound>> RecordConsent(
        ConsentCommand command, HttpContext http, Func<ConsentCommand, Actor, CancellationToken, Task<ConsentRecordResult>> record, CancellationToken ct)
    {
        var result = await record(command, http.Actor(), ct);
        if (!result.PatientFound)
        {
            return TypedResults.NotFound();
        }

        if (result.Errors.Where(e => e.Code == ConsentErrorCodes.EvidenceTooLarge).Select(e => e.Message).ToList() is { Count: > 0 } tooLarge)
        {
            // Named limits, so the caller can fix its evidence; nothing was written.
            return Problems.Typed(StatusCodes.Status400BadRequest, Problems.EvidenceTooLarge, string.Join("; ", tooLarge),
                new Dictionary<string, object?>
                {
                    ["maxBytes"] = ConsentEvidenceLimits.MaxBytes, ["maxExtraKeys"] = ConsentEvidenceLimits.MaxExtraKeys,
                    ["maxKeyLength"] = ConsentEvidenceLimits.MaxKeyLength, ["maxDepth"] = ConsentEvidenceLimits.MaxDepth,
                });
        }

        if (result.Errors.Count > 0)
        {
            return TypedResults.ValidationProblem(result.Errors.GroupBy(e => e.Code).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
                title: "Consent refused");
        }

        return TypedResults.Created($"/api/patients/{Uri.EscapeDataString(command.PatientId)}/consents/history", new ConsentRecorded(result.EventIds));
    }

    private static async Task<Results<Ok<IReadOnlyList<ConsentCurrentView>>, NotFound>> GetCurrent(
        string patientId, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
        await ledger.CurrentAsync(user.Tenant(), patientId, ct) is { } current ? TypedResults.Ok(current) : TypedResults.NotFound();

    private static async Task<Results<Ok<IReadOnlyList<ConsentEventView>>, NotFound>> GetHistory(
        string patientId, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
        await ledger.HistoryAsync(user.Tenant(), patientId, ct) is { } history ? TypedResults.Ok(history) : TypedResults.NotFound();
}
