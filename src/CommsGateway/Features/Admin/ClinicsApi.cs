using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Validation;
using CommsGateway.Features.Contacts;
using CommsGateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsGateway.Features.Admin;

/// <summary>
/// A clinic's sender identity over the API: <see cref="ClinicSender"/>'s fields (snake_case like the stored fields and
/// the CLI options) and the clinic's HELP contact.
/// </summary>
public sealed record SenderBody : ClinicSender
{
    public SenderBody()
    {
    }

    private SenderBody(ClinicSender sender)
        : base(sender)
    {
    }

    /// <summary>Answered to HELP / AIDE / INFO after the clinic's name.</summary>
    [JsonPropertyOrder(1)]
    public string? HelpContact { get; init; }

    /// <summary>The fields present in the body, by stored name (null = not given; "" clears).</summary>
    internal Dictionary<string, string?> Given()
    {
        var given = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in Fields.Select(f => (f, Get(f))).Append(("help_contact", HelpContact)))
        {
            if (value is not null)
            {
                given[name] = value.Trim();
            }
        }

        return given;
    }

    internal static SenderBody From(TenantInfo info) => new(info.Sender) { HelpContact = info.HelpContact };
}

/// <summary>A new clinic: its id (as producers put it in TenantId), display name and sender identity.</summary>
public sealed record ClinicBody
{
    [Required] public string? TenantId { get; init; }

    [Required] public string? Name { get; init; }

    /// <summary>Region national phone numbers are read in (ISO 3166 alpha-2; default FR).</summary>
    public string? DefaultRegion { get; init; }

    /// <summary>IANA time zone (default Europe/Paris).</summary>
    public string? TimeZone { get; init; }

    /// <summary>Without an identity for a channel, the clinic's messages on it are Blocked NoSenderIdentity.</summary>
    [Required] public SenderBody? Sender { get; init; }

    /// <summary>Label of the API key issued for the clinic.</summary>
    public string? KeyLabel { get; init; }
}

/// <summary>The clinic created, and its first API key: shown once.</summary>
public sealed record ClinicCreated(string TenantId, string ApiKey, SenderBody Sender, IReadOnlyList<string> ChannelsWithoutSender);

/// <summary>What a CSV contact import did.</summary>
public sealed record ContactImportView(int Imported, int Rejected, IReadOnlyList<ContactImportRejection> RejectedRows);

/// <summary>
/// Clinic management (operator keys only): add a clinic with its sender identities, read and change them. Effective for
/// the next decision: the gateway reads the identity with every decision, nothing to restart. And the CSV contact
/// import (the clinic's own key), the same importer as `commsgw contacts import` (<see cref="ContactImporter"/>).
/// </summary>
public static class ClinicsApi
{
    public const long ConsentBodyBytes = 16 * 1024;
    public const long ImportBodyBytes = 10 * 1024 * 1024;

    public static IEndpointRouteBuilder MapClinicsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var clinics = endpoints.MapGroup("/api/tenants").RequireAuthorization(ApiKeyAuthenticationHandler.OperatorPolicy).WithTags("Clinics (operator)")
            .WithBodyLimit(16 * 1024);
        clinics.MapPost("", AddAsync).WithSummary("Add a clinic with its sender identities; returns its first API key, once");
        clinics.MapGet("/{tenantId}/sender", GetSenderAsync).WithSummary("The clinic's sender identities and HELP contact");
        clinics.MapPut("/{tenantId}/sender", SetSenderAsync)
            .WithSummary("Set sender identities (fields given are set, \"\" clears one, others kept); applies to the next decision");

        endpoints.MapPost("/api/contacts/import", ImportAsync).RequireAuthorization().WithTags("Patients")
            .WithBodyLimit(ImportBodyBytes)
            .Accepts<string>("text/csv")
            .WithSummary("Bulk contact import: RFC 4180 CSV with a header (patient_id,first_name,last_name,email,phone,whatsapp,locale,time_zone,last_interaction_at)");
        return endpoints;
    }

    private static async Task<Results<Created<ClinicCreated>, ProblemHttpResult, ValidationProblem>> AddAsync(
        ClinicBody body, HttpContext http, TenantDirectory tenants, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var tenantId = body.TenantId?.Trim() ?? "";
        if (tenantId.Length is 0 or > ChannelLimits.IdentifierLength || Identifiers.FirstForbidden(tenantId) is not null)
        {
            return Problems.Typed(StatusCodes.Status400BadRequest, Problems.InvalidIdentifier,
                $"tenantId: 1 to {ChannelLimits.IdentifierLength} characters, no control, bidi or zero-width characters");
        }

        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 200 || Identifiers.FirstForbidden(body.Name) is not null)
        {
            errors["name"] = ["name: 1 to 200 characters, no control, bidi or zero-width characters"];
        }

        var settings = new Dictionary<string, object?>();
        if (body.DefaultRegion is { } region)
        {
            if (region.Length == 2)
            {
                settings["default_region"] = region.ToUpperInvariant();
            }
            else
            {
                errors["defaultRegion"] = ["defaultRegion is a 2-letter ISO code"];
            }
        }

        if (body.TimeZone is { } zone)
        {
            if (TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            {
                settings["time_zone"] = zone;
            }
            else
            {
                errors["timeZone"] = [$"unknown time zone {zone}"];
            }
        }

        var fields = (body.Sender ?? new SenderBody()).Given();
        foreach (var (field, value) in fields)
        {
            if (TenantDirectory.CheckIdentityField(field, value) is { } problem)
            {
                errors["sender." + field] = [problem];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Clinic refused", type: Problems.Validation);
        }

        if (await tenants.FindAsync(tenantId, ct) is not null)
        {
            return Problems.Typed(StatusCodes.Status409Conflict, Problems.Conflict, $"clinic '{tenantId}' exists: change its sender with PUT /api/tenants/{{tenantId}}/sender");
        }

        var sender = fields.Where(f => f.Key != "help_contact").Aggregate(ClinicSender.None, (acc, f) => acc.With(f.Key, f.Value));
        var key = await tenants.AddTenantAsync(tenantId, body.Name!.Trim(), settings, sender, body.KeyLabel ?? "admin", http.Actor(), ct,
            fields.GetValueOrDefault("help_contact"));
        var created = (await tenants.FindAsync(tenantId, ct))!;
        return TypedResults.Created($"/api/tenants/{Uri.EscapeDataString(tenantId)}/sender", new ClinicCreated(tenantId, key, SenderBody.From(created),
            [.. new[] { Contracts.Channel.Email, Contracts.Channel.Sms, Contracts.Channel.WhatsApp }.Where(c => !sender.CanSend(c)).Select(Contracts.WireNames.Of)]));
    }

    private static async Task<Results<Ok<SenderBody>, NotFound>> GetSenderAsync(string tenantId, TenantDirectory tenants, CancellationToken ct) =>
        await tenants.FindAsync(tenantId, ct) is { } info ? TypedResults.Ok(SenderBody.From(info)) : TypedResults.NotFound();

    private static async Task<Results<Ok<SenderBody>, NotFound, ValidationProblem>> SetSenderAsync(
        string tenantId, SenderBody body, HttpContext http, TenantDirectory tenants, CancellationToken ct)
    {
        var result = await tenants.UpdateIdentityAsync(tenantId, body.Given(), http.Actor(), ct);
        if (result.Errors.Count > 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["sender"] = [.. result.Errors] }, title: "Sender refused", type: Problems.Validation);
        }

        return result.Found ? TypedResults.Ok(SenderBody.From((await tenants.FindAsync(tenantId, ct))!)) : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<ContactImportView>, ProblemHttpResult>> ImportAsync(
        HttpContext http, ContactImporter importer, CancellationToken ct)
    {
        if (http.Request.ContentType is not { } type || !type.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Typed(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType, "Send the CSV as text/csv (UTF-8).");
        }

        // The importer reads the whole body (within the endpoint's limit) before writing: a body cut off at the limit imports nothing.
        var result = await importer.ImportAsync(http.User.Tenant(), http.Request.Body, new ContactImportOptions(), http.Actor(), null, ct);
        return result.FileError is { } error
            ? Problems.Typed(StatusCodes.Status400BadRequest, Problems.BadRequest, error)
            : TypedResults.Ok(new ContactImportView(result.Imported, result.Rejected.Count, [.. result.Rejected.OrderBy(r => r.Line)]));
    }
}
