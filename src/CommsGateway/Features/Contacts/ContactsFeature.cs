using CommsGateway.Contracts;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Patients;
using CommsGateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommsGateway.Features.Contacts;

/// <summary>
/// The contact directory: the patients' addresses, as the admin API, the CLI's import and the producers'
/// PatientContactChanged messages (consumed on the intents bus) write them.
/// </summary>
public static class ContactsFeature
{
    public static IHostApplicationBuilder AddContacts(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<ContactDirectory>();
        builder.Services.TryAddSingleton<ContactImporter>();
        return builder;
    }

    public static IEndpointRouteBuilder MapContacts(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPatientApi().MapPut("/contact", UpsertContact).WithSummary("Create or replace the patient's contact point");
        return endpoints;
    }

    private static async Task<Results<Ok<PatientContactView>, ValidationProblem>> UpsertContact(
        string patientId, ContactDetails body, HttpContext http, ContactDirectory contacts, CancellationToken ct)
    {
        var tenant = http.User.Tenant();
        var result = await contacts.UpsertAsync(tenant, patientId, body, http.Actor(), null, ct);
        if (!result.Ok)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["contact"] = [.. result.Errors] });
        }

        var c = (await contacts.FindAsync(tenant, patientId, ct))!;
        return TypedResults.Ok(new PatientContactView(c.FirstName, c.LastName, c.Email, c.Phone, c.WhatsApp, NullIfEmpty(c.Locale),
            NullIfEmpty(c.TimeZone), c.LastInteractionAt, http.Actor().ToString(), DateTimeOffset.UtcNow));
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
