using CommsGateway.Hosting;
using CommsGateway.Providers;
using Microsoft.Extensions.Options;
using Twilio.Security;

namespace CommsGateway.Features.Webhooks;

/// <summary>
/// The front door of every Twilio webhook (the status callback, the inbound-message webhook): a form body, else 400;
/// X-Twilio-Signature over the public URL Twilio called plus the POST parameters, checked with the Twilio SDK's
/// <see cref="RequestValidator"/>, else 403 and nothing changes. The handler behind it reads the form (already
/// buffered) and trusts it.
/// </summary>
internal static class TwilioWebhookForm
{
    /// <summary>The /webhooks/twilio group: every endpoint mapped on it is verified before its handler runs.</summary>
    public static RouteGroupBuilder MapTwilioWebhookGroup(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGroup("/webhooks/twilio").AddEndpointFilter(VerifyAsync).DisableAntiforgery();

    private static async ValueTask<object?> VerifyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (!request.HasFormContentType)
        {
            return Problems.Typed(StatusCodes.Status400BadRequest, Problems.BadRequest, "form body expected");
        }

        var services = context.HttpContext.RequestServices;
        var form = await ReadVerifiedAsync(request, services.GetRequiredService<IOptions<TwilioOptions>>().Value.AuthToken,
            services.GetRequiredService<IOptions<GatewayOptions>>().Value.PublicBaseUrl, context.HttpContext.RequestAborted);
        if (form is null)
        {
            services.GetRequiredService<ILogger<TwilioWebhookLog>>().LogWarning("Rejected a Twilio webhook to {Path} with an invalid signature", request.Path);
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }

        return await next(context);
    }

    /// <summary>The form when the signature is valid, else null (the caller answers 403 and changes nothing).</summary>
    public static async Task<IFormCollection?> ReadVerifiedAsync(HttpRequest request, string authToken, string publicBaseUrl, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var parameters = form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? "")));
        // The URL Twilio called is the public one (behind the TLS proxy), not the one this process listens on.
        var url = publicBaseUrl.TrimEnd('/') + request.Path + request.QueryString;
        return IsValid(authToken, url, parameters, request.Headers["X-Twilio-Signature"].ToString()) ? form : null;
    }

    /// <summary>
    /// Twilio signs a repeated parameter once per value (name+value each, values sorted); the SDK takes one value per
    /// name and appends name+value. Joining a name's sorted values with the name itself (v1 + name + v2) makes the
    /// SDK's string the one Twilio signed: name v1 name v2.
    /// </summary>
    internal static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters, string? signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var joined = parameters.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(
            g => g.Key, g => string.Join(g.Key, g.Select(p => p.Value).Order(StringComparer.Ordinal)), StringComparer.Ordinal);
        return new RequestValidator(authToken).Validate(url, joined, signature);
    }
}

/// <summary>The log category of the Twilio webhooks' front door (a static class cannot be one).</summary>
internal sealed class TwilioWebhookLog;
