using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Renmai.Features.Settings;

namespace Renmai.Features.Users;

public enum GateReason { None, PasswordExpired, TwoFactorRequired }

/// <summary>
/// What a signed-in user must do before anything else: change an expired password (等保 preset) or
/// enrol two-factor login (their role requires it). Until then only /account/security (and login,
/// logout, language) is open; the rest of the UI and the cookie-authenticated API are refused.
/// The cookie's claims give a cheap first answer; a "must" is confirmed against the database.
/// </summary>
public sealed class LoginGate(AppSettings settings, TimeProvider clock, IServiceScopeFactory scopes)
{
    public const string SecurityPage = "/account/security";

    /// <summary>The first answer from the cookie's claims alone.</summary>
    public async Task<GateReason> FromClaimsAsync(ClaimsPrincipal p, CancellationToken ct = default)
    {
        if (p.Identity?.IsAuthenticated != true || p.Identity.AuthenticationType == CurrentActor.ApiScheme) return GateReason.None;
        var s = await settings.GetAsync<SecuritySettings>(ct);
        if (s.PasswordExpired(SessionClaims.Time(p, SessionClaims.PasswordAt), clock.GetUtcNow().UtcDateTime)) return GateReason.PasswordExpired;
        if (s.Requires2Fa(p.FindAll(ClaimTypes.Role).Select(c => c.Value)) && p.FindFirstValue(SessionClaims.TwoFactor) != "1")
            return GateReason.TwoFactorRequired;
        return GateReason.None;
    }

    /// <summary>The answer for the stored user (after an enrolment or password change the cookie is behind).</summary>
    public async Task<GateReason> ForUserAsync(RenmaiUser user, IEnumerable<string> roles, CancellationToken ct = default)
    {
        var s = await settings.GetAsync<SecuritySettings>(ct);
        if (s.PasswordExpired(user.PasswordChangedAt ?? user.CreatedAt, clock.GetUtcNow().UtcDateTime)) return GateReason.PasswordExpired;
        if (s.Requires2Fa(roles) && !user.TwoFactorEnabled) return GateReason.TwoFactorRequired;
        return GateReason.None;
    }

    /// <summary>Claims first; a "must" is checked against the database (fresh scope: fine inside a long-lived circuit).</summary>
    public async Task<GateReason> CheckAsync(ClaimsPrincipal p, CancellationToken ct = default)
    {
        if (await FromClaimsAsync(p, ct) == GateReason.None) return GateReason.None;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<RenmaiUser>>();
        var user = await users.GetUserAsync(p);
        if (user is null) return GateReason.None; // the cookie check signs it out
        return await ForUserAsync(user, await users.GetRolesAsync(user), ct);
    }

    public static bool IsOpen(PathString path) =>
        path.StartsWithSegments("/account") || path.StartsWithSegments("/login") || path.StartsWithSegments("/logout")
        || path.StartsWithSegments("/culture") || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/_framework")
        || path.StartsWithSegments("/_content") || path.StartsWithSegments("/health") || Path.HasExtension(path.Value);

    public static string Target(GateReason reason) =>
        SecurityPage + (reason == GateReason.PasswordExpired ? "?reason=password" : "?reason=2fa");

    /// <summary>The HTTP side: redirect pages, refuse the API with 403, refresh a cookie that is behind.</summary>
    public static void UseLoginGate(WebApplication app) => app.Use(async (ctx, next) =>
    {
        var gate = ctx.RequestServices.GetRequiredService<LoginGate>();
        if (await gate.FromClaimsAsync(ctx.User, ctx.RequestAborted) == GateReason.None) { await next(); return; }
        var signIn = ctx.RequestServices.GetRequiredService<SignInManager<RenmaiUser>>();
        var user = await signIn.UserManager.GetUserAsync(ctx.User);
        if (user is null) { await next(); return; }
        var reason = await gate.ForUserAsync(user, await signIn.UserManager.GetRolesAsync(user), ctx.RequestAborted);
        if (reason == GateReason.None)
        {
            // Done in another request or circuit: bring the cookie up to date.
            await signIn.RefreshSignInAsync(user);
            await next();
            return;
        }
        if (IsOpen(ctx.Request.Path)) { await next(); return; }
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
            await ctx.Response.WriteAsJsonAsync(new
            {
                title = reason == GateReason.PasswordExpired ? "密码已过期，请先在网页上修改密码" : "请先在网页上启用两步验证",
                status = 403,
            }, ctx.RequestAborted);
            return;
        }
        ctx.Response.Redirect(Target(reason));
    });
}
