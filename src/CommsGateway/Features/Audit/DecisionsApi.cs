using CommsGateway.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsGateway.Features.Audit;

/// <summary>Query-string filters of GET /api/decisions (the tenant comes from the caller's key, not from here).</summary>
public sealed record DecisionQueryParameters(
    string? Patient, string? Campaign, string? Channel, string? Outcome, string? Reason,
    DateTimeOffset? From, DateTimeOffset? To, long? After, int? Page, int? PageSize, string? Dispatch = null);

public static class DecisionsApi
{
    public static IEndpointRouteBuilder MapDecisionsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/decisions").RequireAuthorization().WithTags("Decisions");
        group.MapGet("", SearchAsync).WithSummary("The caller's tenant's decisions, filtered, keyset-paged on seq");
        return endpoints;
    }

    private static async Task<Results<Ok<DecisionPage>, ValidationProblem, ForbidHttpResult>> SearchAsync(
        [AsParameters] DecisionQueryParameters query, HttpContext http, DecisionQuery decisions, CancellationToken ct)
    {
        if (TenantScope.From(http) is not { } tenant)
        {
            return TypedResults.Forbid();
        }

        var errors = new Dictionary<string, string[]>();
        var filter = ToFilter(tenant, query, errors);
        return filter is null ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await decisions.SearchAsync(filter, ct));
    }

    internal static DecisionFilter? ToFilter(string tenant, DecisionQueryParameters q, Dictionary<string, string[]> errors)
    {
        Channel? channel = null;
        if (q.Channel is not null)
        {
            if (Enum.TryParse<Channel>(q.Channel, ignoreCase: true, out var c) && c != Channel.Unknown)
            {
                channel = c;
            }
            else
            {
                errors["channel"] = ["email, sms or whatsapp"];
            }
        }

        DecisionOutcome? outcome = null;
        if (q.Outcome is not null)
        {
            if (Enum.TryParse<DecisionOutcome>(q.Outcome, ignoreCase: true, out var o) && !int.TryParse(q.Outcome, out _))
            {
                outcome = o;
            }
            else
            {
                errors["outcome"] = [string.Join(", ", Enum.GetNames<DecisionOutcome>())];
            }
        }

        string? dispatch = null;
        if (q.Dispatch is not null)
        {
            dispatch = DecisionFilter.DispatchStatuses.FirstOrDefault(s => string.Equals(s, q.Dispatch, StringComparison.OrdinalIgnoreCase));
            if (dispatch is null)
            {
                errors["dispatch"] = [string.Join(", ", DecisionFilter.DispatchStatuses)];
            }
        }

        if (q.PageSize is < 1 or > DecisionFilter.MaxPageSize)
        {
            errors["pageSize"] = [$"1 to {DecisionFilter.MaxPageSize}"];
        }

        if (q.Page is < 1)
        {
            errors["page"] = ["1 or more"];
        }

        if (q.From is { } from && q.To is { } to && to <= from)
        {
            errors["to"] = ["must be after from"];
        }

        return errors.Count > 0 ? null : new DecisionFilter
        {
            TenantId = tenant,
            PatientId = q.Patient,
            CampaignId = q.Campaign,
            Channel = channel,
            Outcome = outcome,
            Reason = q.Reason,
            Dispatch = dispatch,
            From = q.From,
            To = q.To,
            After = q.After ?? 0,
            Page = q.Page ?? 1,
            PageSize = q.PageSize ?? 50,
        };
    }
}
