using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Threading.RateLimiting;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Console.Staff;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommsGateway.Features.Console;

/// <summary>Console settings (section Console).</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>A signed-in session ends after this long without a request.</summary>
    [Range(1, 480)] public int IdleTimeoutMinutes { get; set; } = 20;

    /// <summary>Sign-in attempts (POSTs) per client address per minute, whatever the account.</summary>
    [Range(1, 10_000)] public int SignInAttemptsPerMinute { get; set; } = 30;

    /// <summary>
    /// A directory every gateway instance shares (a volume) for the keys that protect session cookies, so a session
    /// survives a restart and is read by any instance behind the proxy. Empty: the per-user default, one host only.
    /// </summary>
    public string? DataProtectionKeysPath { get; set; }
}

/// <summary>The claims of a signed-in staff member (cookie scheme <see cref="ConsoleAuth.Scheme"/>).</summary>
public static class ConsoleClaims
{
    /// <summary>Not the API keys' tenant claim: a console cookie must never satisfy an API policy.</summary>
    public const string Tenant = "commsgw:console_tenant";
    public const string StaffId = "commsgw:staff_id";
}

public static class ConsoleAuth
{
    public const string Scheme = "Console";
    public const string CookieName = "commsgw-console";
    public const string SignInRateLimit = "console-signin";
}

/// <summary>
/// Authorization policies of the console, enforced on every page and handler (never by hiding a link). Each names
/// the roles that need the data: marketing never opens a patient's record or export, reception never the decision log.
/// </summary>
public static class ConsolePolicies
{
    public const string Signed = "console";
    public const string Review = "console:review";
    public const string Decisions = "console:decisions";
    public const string Patients = "console:patients";
    public const string PatientExport = "console:patient-export";
    public const string AccessLog = "console:access-log";
    public const string Staff = "console:staff";
    public const string Settings = "console:settings";
    public const string Campaigns = "console:campaigns";
    public const string CampaignCompose = "console:campaign-compose";

    internal static readonly IReadOnlyDictionary<string, string[]> Roles = new Dictionary<string, string[]>
    {
        [Signed] = [.. StaffRoles.All],
        [Review] = [StaffRoles.Dpo, StaffRoles.Marketing],
        [Decisions] = [StaffRoles.Dpo, StaffRoles.Marketing],
        [Patients] = [StaffRoles.Dpo, StaffRoles.Reception],
        [PatientExport] = [StaffRoles.Dpo],
        [AccessLog] = [StaffRoles.Dpo],
        [Staff] = [StaffRoles.Admin],
        [Settings] = [StaffRoles.Admin],
        [Campaigns] = [StaffRoles.Dpo, StaffRoles.Marketing, StaffRoles.Admin],
        [CampaignCompose] = [StaffRoles.Marketing, StaffRoles.Admin],
    };

    public static bool Allows(ClaimsPrincipal user, string policy) =>
        user.Identity?.AuthenticationType == ConsoleAuth.Scheme && Roles[policy].Any(user.IsInRole);
}

public static class ConsoleFeature
{
    /// <summary>
    /// The console's key ring (session cookies, sign-in tickets, stored TOTP secrets), also used by `commsgw staff`.
    /// One application name whoever hosts the gateway (`commsgw run`, the demo, the Docker image, the CLI): what one
    /// protects the others read when they share the key directory.
    /// </summary>
    public static IHostApplicationBuilder AddConsoleDataProtection(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var protection = builder.Services.AddDataProtection().SetApplicationName("commsgw");
        if (builder.Configuration[$"{ConsoleOptions.Section}:DataProtectionKeysPath"] is { Length: > 0 } keys)
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(keys));
        }

        return builder;
    }

    public static IHostApplicationBuilder AddConsole(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<StaffAccounts>();
        builder.Services.AddSingleton<AccessLog>();
        var idle = TimeSpan.FromMinutes(builder.Configuration.GetValue($"{ConsoleOptions.Section}:IdleTimeoutMinutes", 20));
        builder.AddConsoleDataProtection();
        builder.Services.AddHostedService<StaffSecretsHostedService>();

        builder.Services.AddAuthentication().AddCookie(ConsoleAuth.Scheme, options =>
        {
            options.Cookie.Name = ConsoleAuth.CookieName;
            options.Cookie.HttpOnly = true;
            options.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.Path = "/console";
            options.ExpireTimeSpan = idle;
            options.SlidingExpiration = true;
            options.LoginPath = "/console/signin";
            options.Events.OnRedirectToAccessDenied = context => Forbidden(context.HttpContext);
            options.Events.OnValidatePrincipal = ValidateAccountAsync;
        });
        builder.Services.AddAuthorization(options =>
        {
            foreach (var (policy, roles) in ConsolePolicies.Roles)
            {
                options.AddPolicy(policy, p => p.AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireAuthenticatedUser()
                    .RequireClaim(ConsoleClaims.Tenant).RequireRole(roles));
            }
        });
        var attempts = builder.Configuration.GetValue($"{ConsoleOptions.Section}:SignInAttemptsPerMinute", 30);
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // A page, not an empty 429 the browser replaces with its own error screen.
            options.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                context.HttpContext.Response.ContentType = "text/html; charset=utf-8";
                await context.HttpContext.Response.WriteAsync(
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too many attempts</title></head>" +
                    "<body><main><h1>Too many sign-in attempts</h1><p role=\"alert\">Too many attempts from this address: wait a minute, then " +
                    "<a href=\"/console/signin\">sign in again</a>. / Trop de tentatives : attendez une minute.</p></main></body></html>", ct);
            };
            options.AddPolicy(ConsoleAuth.SignInRateLimit, http => HttpMethods.IsPost(http.Request.Method)
                ? RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = attempts, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter("read"));
        });
        builder.Services.AddGatewayRazorPages(pages => pages.Conventions.AddFolderApplicationModelConvention("/Console",
            model => model.Filters.Add(new ConsoleResponseFilter())));
        return builder;
    }

    /// <summary>
    /// Razor Pages from the gateway's own Features folder (pages carry absolute routes). The gateway assembly is added
    /// as an application part when the host's entry assembly is another one (the CLI, the tests).
    /// </summary>
    public static IServiceCollection AddGatewayRazorPages(this IServiceCollection services, Action<Microsoft.AspNetCore.Mvc.RazorPages.RazorPagesOptions>? configure = null)
    {
        var mvc = services.AddRazorPages(options =>
        {
            options.RootDirectory = "/Features";
            configure?.Invoke(options);
        });
        var gateway = typeof(ConsoleFeature).Assembly;
        if (!mvc.PartManager.ApplicationParts.OfType<AssemblyPart>().Any(p => p.Assembly == gateway))
        {
            mvc.AddApplicationPart(gateway);
        }

        return services;
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapRazorPages();
        endpoints.MapGet("/console/console.css", () => TypedResults.Text(Css.Value, "text/css; charset=utf-8")).ExcludeFromDescription();
        return endpoints;
    }

    private static readonly Lazy<string> Css = new(() =>
    {
        using var stream = typeof(ConsoleFeature).Assembly.GetManifestResourceStream("CommsGateway.Console.css")
            ?? throw new InvalidOperationException("console.css is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>A 403 page that says why and names nothing of what was asked for.</summary>
    internal static async Task Forbidden(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status403Forbidden;
        http.Response.ContentType = "text/html; charset=utf-8";
        var fr = ConsoleText.Resolve(http) == "fr";
        await http.Response.WriteAsync($"""
            <!doctype html><html lang="{(fr ? "fr" : "en")}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>403</title><link rel="stylesheet" href="/console/console.css"></head>
            <body><main><h1>403</h1><p>{(fr ? "Votre rôle ne donne pas accès à cette page." : "Your role does not give access to this page.")}</p>
            <p><a href="/console">{(fr ? "Retour à l'accueil" : "Back to the console")}</a></p></main></body></html>
            """);
    }

    /// <summary>Each request re-reads the account: a disabled account or a changed role takes effect at once.</summary>
    private static async Task ValidateAccountAsync(CookieValidatePrincipalContext context)
    {
        var email = context.Principal?.FindFirstValue(ClaimTypes.Email);
        var role = context.Principal?.FindFirstValue(ClaimTypes.Role);
        var account = email is null ? null : await context.HttpContext.RequestServices.GetRequiredService<StaffAccounts>().FindAsync(email, context.HttpContext.RequestAborted);
        if (account is null || account.Disabled || account.Role != role)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(ConsoleAuth.Scheme);
        }
    }
}

/// <summary>Headers of every console page: patient data is never cached, framed, or sent on as a referrer; no inline script.</summary>
internal sealed class ConsoleResponseFilter : Microsoft.AspNetCore.Mvc.Filters.IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(Microsoft.AspNetCore.Mvc.Filters.PageHandlerSelectedContext context) => Task.CompletedTask;

    public Task OnPageHandlerExecutionAsync(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context,
        Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutionDelegate next)
    {
        var headers = context.HttpContext.Response.Headers;
        headers.CacheControl = "no-cache, no-store";
        headers.Pragma = "no-cache";
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        ConsoleText.Remember(context.HttpContext);
        return next();
    }
}

/// <summary>Protects TOTP secrets still stored in clear; registered after the migrations, which hosted services run first.</summary>
internal sealed class StaffSecretsHostedService(StaffAccounts staff, ILogger<StaffSecretsHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var count = await staff.ProtectClearSecretsAsync(cancellationToken);
        if (count > 0)
        {
            logger.LogInformation("Protected {Count} staff TOTP secrets stored in clear", count);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
