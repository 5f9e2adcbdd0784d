using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Renmai.Hosting;

/// <summary>
/// Browser-facing protections that every response gets: security headers, HSTS when the request
/// arrived over TLS (directly or through a proxy on this machine), a request-body limit, and a
/// per-address rate limit on the login form (on top of Identity's account lockout).
/// </summary>
public static class WebHardening
{
    public const string LoginPolicy = "login";

    /// <summary>HttpContext.Items key of this response's CSP script nonce.</summary>
    public const string CspNonceKey = "renmai.csp-nonce";
    /// <summary>
    /// Per client address. Generous on purpose: a whole office often shares one address behind NAT;
    /// guessing one account's password is stopped by the account lockout (5 failures).
    /// </summary>
    public const int LoginAttemptsPerMinute = 30;

    /// <summary>Largest request body accepted (documents and imports arrive later, in their own limits).</summary>
    public const long MaxRequestBodyBytes = 30L * 1024 * 1024;

    /// <summary>The policy of /api responses (data, never pages).</summary>
    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public static IServiceCollection AddWebHardening(this IServiceCollection services)
    {
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            // Trust X-Forwarded-* only from a proxy on this machine (the default KnownProxies: loopback).
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        });
        services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(180);
            o.IncludeSubDomains = false;
        });
        services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(LoginPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = LoginAttemptsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = (context, _) =>
            {
                // A person at the login form sees why; anything else gets 429.
                context.HttpContext.Response.StatusCode = StatusCodes.Status302Found;
                context.HttpContext.Response.Headers.Location = "/login?error=rate";
                return ValueTask.CompletedTask;
            };
        });
        return services;
    }

    public static void UseWebHardening(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseHsts(); // sends the header only on HTTPS requests, never for localhost
        app.Use((http, next) =>
        {
            var h = http.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "strict-origin-when-cross-origin";
            h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            // No framing, no plugins, no <base> or form-action hijacking, and scripts only from this
            // site or carrying this response's nonce (App.razor puts it on the import map and its one
            // inline script). Styles stay 'unsafe-inline': MudBlazor positions popovers with style
            // attributes. The API reference page (Scalar) is a third-party page with inline scripts.
            var path = http.Request.Path;
            if (path.StartsWithSegments("/api") && !path.StartsWithSegments("/api/docs"))
            {
                // JSON, CSV and spreadsheets: nothing in an API response may run or load anything.
                h.ContentSecurityPolicy = ApiPolicy;
                return next(http);
            }
            var nonce = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            http.Items[CspNonceKey] = nonce;
            var scripts = path.StartsWithSegments("/api/docs") ? "script-src 'self' 'unsafe-inline'; " : $"script-src 'self' 'nonce-{nonce}'; ";
            h.ContentSecurityPolicy = "default-src 'self'; " + scripts + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
                + "connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'";
            return next(http);
        });
        app.UseRateLimiter();
    }
}
