using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Hosting;

/// <summary>
/// Every error the gateway's HTTP endpoints answer is RFC 9457 problem+json with a stable <c>type</c> per kind of error,
/// in every environment: never a stack trace, an exception message from deep inside, or a request header (the API key
/// travels in one). Clients branch on <c>type</c>; <c>detail</c> is for people.
/// </summary>
public static class Problems
{
    private const string Prefix = "urn:commsgw:problem:";

    public const string Validation = Prefix + "validation";
    public const string BadRequest = Prefix + "bad-request";
    public const string InvalidIdentifier = Prefix + "invalid-identifier";
    public const string EvidenceTooLarge = Prefix + "evidence-too-large";
    public const string BodyTooLarge = Prefix + "body-too-large";
    public const string AuthMissing = Prefix + "auth-missing";
    public const string AuthMalformed = Prefix + "auth-malformed";
    public const string AuthInvalid = Prefix + "auth-invalid";
    public const string Forbidden = Prefix + "forbidden";
    public const string NotFound = Prefix + "not-found";
    public const string MethodNotAllowed = Prefix + "method-not-allowed";
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";
    public const string Conflict = Prefix + "conflict";
    public const string Internal = Prefix + "internal";
    public const string WebhookReplay = Prefix + "webhook-replay";

    /// <summary>The type of a problem that only has a status (an empty 404, a refused method...).</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => BadRequest,
        401 => AuthMissing,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        413 => BodyTooLarge,
        415 => UnsupportedMediaType,
        >= 500 => Internal,
        _ => Prefix + "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string TitleFor(string type) => type switch
    {
        Validation => "The request has invalid fields",
        BadRequest => "The request could not be read",
        InvalidIdentifier => "An identifier holds forbidden characters",
        EvidenceTooLarge => "The consent evidence is over a limit",
        BodyTooLarge => "The request body is over this endpoint's limit",
        AuthMissing => "An API key is required",
        AuthMalformed => "The credentials are malformed",
        AuthInvalid => "The API key was refused",
        Forbidden => "This key may not call this endpoint",
        NotFound => "Not found",
        MethodNotAllowed => "Method not allowed",
        UnsupportedMediaType => "Unsupported content type",
        Conflict => "Conflict",
        Internal => "Internal error",
        WebhookReplay => "The webhook delivery is outside the replay window",
        _ => "Error",
    };

    /// <summary>Writes a problem+json answer through the registered problem-details service.</summary>
    public static async Task WriteAsync(HttpContext http, int status, string type, string detail, IDictionary<string, object?>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Type = type, Title = TitleFor(type), Detail = detail };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }

        var service = http.RequestServices.GetService<IProblemDetailsService>();
        if (service is null || !await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem }))
        {
            await http.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
        }
    }

    /// <summary>A typed problem result for endpoints that declare their results.</summary>
    public static ProblemHttpResult Typed(int status, string type, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: TitleFor(type), type: type, extensions: extensions);

    /// <summary>A 400 result naming the field and the limit or rule broken.</summary>
    public static IResult Result(int status, string type, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: TitleFor(type), type: type, extensions: extensions);

    /// <summary>
    /// AddProblemDetails with the stable types, UseExceptionHandler's handler, and bad requests raised as exceptions in
    /// every environment (so Development answers what Production answers, and no developer page ever shows headers).
    /// </summary>
    public static IServiceCollection AddGatewayProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            if (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
            {
                problem.Type = problem is HttpValidationProblemDetails ? Validation : ForStatus(status);
                problem.Title = TitleFor(problem.Type);
            }

            // Only the request id: no exception, no headers, no stack.
            problem.Extensions.Remove("exception");
            problem.Extensions["requestId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<GatewayExceptionHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        // No admin body nests deeper than a few levels (consent evidence: 4); refuse pathological nesting while parsing.
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.MaxDepth = 16);
        return services;
    }

    /// <summary>UseExceptionHandler + UseStatusCodePages (problem+json for bodiless 4xx/5xx).</summary>
    public static IApplicationBuilder UseGatewayProblems(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}

/// <summary>
/// Turns exceptions into problem+json. A bad request (unreadable JSON, a body over the limit, a missing required
/// parameter) keeps its 4xx and a generic description; anything else is a 500 with the request id only.
/// </summary>
internal sealed class GatewayExceptionHandler(ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is BadHttpRequestException bad)
        {
            var status = bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : StatusCodes.Status400BadRequest;
            if (status == StatusCodes.Status413PayloadTooLarge)
            {
                var limit = httpContext.Items.TryGetValue(RequestBodyLimits.LimitKey, out var l) && l is long declared
                    ? declared
                    : httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
                await Problems.WriteAsync(httpContext, status, Problems.BodyTooLarge,
                    $"The request body is over this endpoint's limit of {limit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} bytes.",
                    new Dictionary<string, object?> { ["limitBytes"] = limit });
                return true;
            }

            logger.LogInformation("Bad request on {Path}: {Status}", httpContext.Request.Path, status);
            // The framework's message names the parameter and what went wrong ("Failed to read parameter ... as JSON");
            // it never contains headers. The inner JSON exception (which may quote the body) is not shown.
            // For a JSON body, where it broke (a path such as $.evidence.extra.note), never the offending text.
            var detail = bad.InnerException is System.Text.Json.JsonException { Path: { } path }
                ? $"{bad.Message} Invalid JSON at {path}."
                : bad.Message;
            await Problems.WriteAsync(httpContext, status, Problems.ForStatus(status), detail);
            return true;
        }

        logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        await Problems.WriteAsync(httpContext, StatusCodes.Status500InternalServerError, Problems.Internal,
            "The gateway could not complete the request; quote the requestId to the operator.");
        return true;
    }
}
