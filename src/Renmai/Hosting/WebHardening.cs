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
    /// <summary>
    /// Per client address. Generous on purpose: a whole office often shares one address behind NAT;
    /// guessing one account's password is stopped by the account lockout (5 failures).
    /// </summary>
    public const int LoginAttemptsPerMinute = 30;

    /// <summary>Largest request body accepted (documents and imports arrive later, in their own limits).</summary>
    public const long MaxRequestBodyBytes = 30L * 1024 * 1024;

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
            // No framing, no plugins, no <base> or form-action hijacking. A script-src policy needs a
            // nonce for Blazor's inline import map; that is left for the security issue to finish.
            h.ContentSecurityPolicy = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'";
            return next(http);
        });
        app.UseRateLimiter();
    }
}
