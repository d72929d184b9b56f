using System.Globalization;
using System.Reflection;
using CommsGateway.Contracts;
using CommsGateway.Features.Audit;
using Microsoft.AspNetCore.Authorization;

namespace CommsGateway.Features.Console.Decisions;

/// <summary>Search of the clinic's decision log (<see cref="DecisionQuery"/>, the filters of GET /api/decisions).</summary>
[Authorize(Policy = ConsolePolicies.Decisions)]
public sealed class IndexModel(DecisionQuery decisions) : ConsolePageModel
{
    public static readonly IReadOnlyList<string> ReasonCodeNames = [.. typeof(ReasonCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal)];

    public string? Patient { get; private set; }
    public string? Intent { get; private set; }
    public string? Campaign { get; private set; }
    public string? Outcome { get; private set; }
    public string? Reason { get; private set; }
    public string? From { get; private set; }
    public string? To { get; private set; }
    public int PageNumber { get; private set; } = 1;

    public DecisionPage? Results { get; private set; }

    public IReadOnlyDictionary<string, string[]> Errors { get; private set; } = new Dictionary<string, string[]>();

    public bool Searched { get; private set; }

    public async Task OnGetAsync(string? patient, string? intent, string? campaign, string? outcome, string? reason, string? from, string? to,
        int? page, CancellationToken ct)
    {
        Title = T("Decisions", "Décisions");
        (Patient, Intent, Campaign, Outcome, Reason, From, To) = (Blank(patient), Blank(intent), Blank(campaign), Blank(outcome), Blank(reason), Blank(from), Blank(to));
        PageNumber = Math.Max(page ?? 1, 1);
        Searched = Request.Query.Count > 0 && !(Request.Query.Count == 1 && Request.Query.ContainsKey("lang"));
        if (!Searched)
        {
            return;
        }

        var errors = new Dictionary<string, string[]>();
        var filter = DecisionsApi.ToFilter(TenantId, new DecisionQueryParameters(Patient, Campaign, null, Outcome, Reason,
            Day(From, errors, "from"), Day(To, errors, "to")?.AddDays(1), null, PageNumber, 50), errors);
        Errors = errors;
        if (filter is null || errors.Count > 0)
        {
            return;
        }

        Results = await decisions.SearchAsync(filter with { IntentId = Intent }, ct);
        // The list shows patient ids: each patient listed is a view of their data.
        await LogAccessAsync(Results.Items.Where(d => d.PatientId is not null).Select(d => d.PatientId!), "decisions.search", Request.QueryString.Value);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DateTimeOffset? Day(string? value, Dictionary<string, string[]> errors, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        errors[field] = ["yyyy-mm-dd"];
        return null;
    }

    public string PageLink(int page)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Request.QueryString.Value)
            .ToDictionary(kv => kv.Key, kv => (string?)kv.Value.ToString(), StringComparer.Ordinal);
        query["page"] = page.ToString(CultureInfo.InvariantCulture);
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/console/decisions", query);
    }
}
