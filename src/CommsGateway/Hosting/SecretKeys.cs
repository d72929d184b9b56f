using Microsoft.Extensions.Options;

namespace CommsGateway.Hosting;

/// <summary>
/// Keys given in settings as base64, with a development value committed in appsettings.json: one check for all of
/// them, so that every such key is refused the same way when it is short or when the public value reaches a
/// deployment. Never echoes the key.
/// </summary>
internal static class SecretKeys
{
    /// <summary>The decoded bytes, or null when the value is not base64 of at least <paramref name="minimumBytes"/> bytes.</summary>
    public static byte[]? Decode(string? value, int minimumBytes)
    {
        var buffer = new byte[((value ?? "").Length * 3 / 4) + 3];
        return Convert.TryFromBase64String((value ?? "").Trim(), buffer, out var written) && written >= minimumBytes
            ? buffer[..written]
            : null;
    }

    /// <summary>
    /// Fails on a missing or short key, and outside Development and Testing on <paramref name="committedValue"/>
    /// (anyone with the repository has it); <paramref name="advice"/> follows the refusal of the committed value.
    /// </summary>
    public static ValidateOptionsResult Validate(IHostEnvironment environment, string setting, string? value, string committedValue,
        int minimumBytes, string advice = "")
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (Decode(value, minimumBytes) is null)
        {
            return ValidateOptionsResult.Fail($"{setting} must be base64 of at least {minimumBytes} bytes (openssl rand -base64 32)");
        }

        return environment.IsDevelopmentOrTesting() || value!.Trim() != committedValue
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{setting} is the committed development key in the {environment.EnvironmentName} environment: "
                + "set a secret of your own (openssl rand -base64 32)" + advice);
    }
}
