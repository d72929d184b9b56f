using CommsGateway.Hosting;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Unsubscribe;

/// <summary>
/// Outside Development and Testing, refuses to start with the keys committed in appsettings.json (anyone with the
/// repository could forge unsubscribe links, or compute subscriber references) or with an http PublicBaseUrl
/// (RFC 8058 section 3.1: the one-click List-Unsubscribe URI must be https). Runs with ValidateOnStart, so the
/// gateway stops before it signs a single link.
/// </summary>
internal sealed class UnsubscribeProductionGuard(IHostEnvironment environment)
    : IValidateOptions<UnsubscribeOptions>, IValidateOptions<GatewayOptions>
{
    /// <summary>The secrets committed in appsettings.json (public, hence never acceptable in production).</summary>
    internal static readonly IReadOnlySet<string> DevelopmentSecrets = new HashSet<string>(StringComparer.Ordinal)
    {
        "qAhVfuUNZ0OpCj7ipUCJNq0PzGaHcNYqmU/feXV1cJ0=",
    };

    internal const string DevelopmentSubscriberKey = "EWZUs8t9a1dQuf1Sl3IITrGkS+w3yD1yxDgMFdTiP5M=";

    public ValidateOptionsResult Validate(string? name, UnsubscribeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (environment.IsDevelopmentOrTesting())
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        foreach (var key in options.Keys.Where(k => (k.Id ?? "").StartsWith(UnsubscribeOptions.DevelopmentKeyPrefix, StringComparison.Ordinal)
                     || DevelopmentSecrets.Contains(k.Secret ?? "")))
        {
            failures.Add($"Unsubscribe:Keys contains the development key '{key.Id}' in the {environment.EnvironmentName} environment: "
                + "set Unsubscribe:Keys and Unsubscribe:ActiveKeyId to a key of your own (openssl rand -base64 32), never a 'dev-' id or a committed secret");
        }

        if (options.SubscriberKey == DevelopmentSubscriberKey)
        {
            failures.Add($"Unsubscribe:SubscriberKey is the committed development key in the {environment.EnvironmentName} environment: "
                + "set a secret of your own (openssl rand -base64 32)");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (environment.IsDevelopmentOrTesting())
        {
            return ValidateOptionsResult.Success;
        }

        return Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Gateway:PublicBaseUrl must be https in the {environment.EnvironmentName} environment "
                + "(RFC 8058 section 3.1: the one-click unsubscribe URI is https)");
    }
}
