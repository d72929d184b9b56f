using System.Text.Json.Nodes;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Consent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CommsGateway.Hosting;

/// <summary>
/// What the generated OpenAPI document says beyond the endpoints' signatures: which endpoints need a key (none for
/// /u/{token}, the webhooks and /health), the problem+json answers each can give (400, 401, 403, 404, 413), the
/// X-Actor header, and the enums and required fields of the admin bodies the C# types leave as plain strings.
/// </summary>
public static class OpenApiDocumentation
{
    private const string ProblemSchema = "Problem";

    public static void Configure(OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[ApiKeyAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "API key \"<keyId>.<secret>\": a clinic's (commsgw tenant add) or, for /api/tenants, an operator key "
                              + "(commsgw tenant operator-key issue). X-Api-Key is accepted too.",
            };
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[ProblemSchema] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "RFC 9457 problem details. `type` is stable per kind of error (urn:commsgw:problem:...); no stack trace, no request header.",
                Required = new HashSet<string> { "type", "title", "status" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri" },
                    ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["requestId"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["errors"] = new OpenApiSchema { Type = JsonSchemaType.Object, Description = "Validation problems: field -> messages" },
                },
            };
            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var secured = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
            var method = context.Description.HttpMethod ?? "GET";
            var hasBody = method is "POST" or "PUT" or "PATCH";
            var hasRouteId = context.Description.ParameterDescriptions.Any(p => p.Source.Id == "Path");
            operation.Responses ??= new OpenApiResponses();

            void Problem(int status, string description)
            {
                var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!operation.Responses.ContainsKey(key) || operation.Responses[key].Content is not { Count: > 0 })
                {
                    operation.Responses[key] = new OpenApiResponse
                    {
                        Description = description,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, context.Document) },
                        },
                    };
                }
            }

            if (hasBody)
            {
                Problem(400, "Invalid body or field (type urn:commsgw:problem:validation, bad-request, invalid-identifier, evidence-too-large)");
                Problem(413, "Body over this endpoint's limit (urn:commsgw:problem:body-too-large; limitBytes)");
            }

            if (secured)
            {
                Problem(401, "No API key, a malformed Authorization header, or a refused key (auth-missing, auth-malformed, auth-invalid); with WWW-Authenticate");
                Problem(403, "A key of the wrong kind for this endpoint (a clinic key on /api/tenants, an operator key on a clinic's data)");
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, context.Document)] = [] }];
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "X-Actor",
                    In = ParameterLocation.Header,
                    Required = false,
                    Description = "The person behind the key (e.g. dr.martin): recorded with every write (admin_audit, recorded_by). At most 200 characters.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 200 },
                });
            }
            else
            {
                operation.Security = []; // explicitly none: /u/{token}, webhooks, health
            }

            if (hasRouteId)
            {
                Problem(404, "No such patient, clinic or campaign for this key (another clinic's is a 404 too)");
            }

            return Task.CompletedTask;
        });

        options.AddSchemaTransformer((schema, context, _) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (type == typeof(ConsentRequestBody))
            {
                Enum(schema, "purpose", "marketing", "service", "photo_marketing");
                Enum(schema, "channel", "email", "sms", "whatsapp");
                Enum(schema, "placement", "newsletter", "social_media", "website", "flyer", "billboard", "other");
                Require(schema, "purpose", "evidence");
            }
            else if (type == typeof(Core.Consent.ConsentEvidence))
            {
                Require(schema, "source");
                schema.Description = $"Grants also need wordingVersion, wordingSha256 (hex SHA-256 of the text shown) and capturedBy. At most "
                    + $"{Core.Consent.ConsentEvidenceLimits.MaxBytes} bytes in all, extra: at most {Core.Consent.ConsentEvidenceLimits.MaxExtraKeys} string values.";
                if (schema.Properties?.TryGetValue("extra", out var extra) == true && extra is OpenApiSchema extraSchema)
                {
                    extraSchema.MaxProperties = Core.Consent.ConsentEvidenceLimits.MaxExtraKeys;
                }
            }
            else if (type == typeof(ClinicBody))
            {
                Require(schema, "tenantId", "name", "sender");
            }

            return Task.CompletedTask;
        });
    }

    private static void Enum(OpenApiSchema schema, string property, params string[] values)
    {
        if (schema.Properties?.TryGetValue(property, out var p) == true && p is OpenApiSchema s)
        {
            s.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        }
    }

    private static void Require(OpenApiSchema schema, params string[] properties)
    {
        schema.Required ??= new HashSet<string>();
        foreach (var property in properties)
        {
            schema.Required.Add(property);
        }
    }

    /// <summary>
    /// /openapi (any API key) and /metrics (an operator key) outside Development and Testing, unless
    /// Gateway:ManagementRequiresApiKey says otherwise. One port: a scraper sends the key as a bearer token.
    /// </summary>
    public static bool ManagementRequiresKey(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var configured = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>().Value.ManagementRequiresApiKey;
        return configured ?? !services.GetRequiredService<IHostEnvironment>().IsDevelopmentOrTesting();
    }
}
