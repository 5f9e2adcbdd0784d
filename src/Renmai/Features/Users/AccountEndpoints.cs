using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Renmai.Features.Audit;
using Renmai.Features.Customers;

namespace Renmai.Features.Users;

/// <summary>
/// Form posts for login, logout, first-run setup and language choice. They run as plain HTTP
/// requests (not over the Blazor circuit) because only a real response can set the cookie.
/// </summary>
public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // Browser form posts, not part of the REST API: kept out of the OpenAPI document.
        app = app.MapGroup("").ExcludeFromDescription();
        app.MapPost("/account/login", async ([FromForm] string email, [FromForm] string password, [FromForm] string? returnUrl,
            SignInManager<RenmaiUser> signIn, UserManager<RenmaiUser> users, AuditLog audit, HttpContext http) =>
        {
            var back = SafeReturn(returnUrl);
            email = (email ?? "").Trim();
            var user = await users.FindByEmailAsync(email);
            if (user is null)
            {
                await audit.WriteAsync(AuditActions.LoginFailed, false, http, null, null, email, "未知账号");
                return Results.Redirect($"/login?error=invalid&returnUrl={Uri.EscapeDataString(back)}");
            }
            if (!user.IsActive)
            {
                // Say "deactivated" only to whoever knows the password, so the form does not reveal who left.
                var knows = await users.CheckPasswordAsync(user, password ?? "");
                await audit.WriteAsync(AuditActions.LoginFailed, false, http, user.Id, user.DisplayName, email, "账号已停用");
                return Results.Redirect($"/login?error={(knows ? "inactive" : "invalid")}&returnUrl={Uri.EscapeDataString(back)}");
            }
            var result = await signIn.PasswordSignInAsync(user, password ?? "", isPersistent: false, lockoutOnFailure: true);
            if (result.Succeeded)
            {
                await audit.WriteAsync(AuditActions.LoginSucceeded, true, http, user.Id, user.DisplayName, email);
                return Results.LocalRedirect(back);
            }
            if (result.RequiresTwoFactor)
                return Results.Redirect($"/login/2fa?returnUrl={Uri.EscapeDataString(back)}");
            await audit.WriteAsync(result.IsLockedOut ? AuditActions.LoginLockedOut : AuditActions.LoginFailed, false, http,
                user.Id, user.DisplayName, email, result.IsLockedOut ? "账号已锁定" : "密码错误");
            var error = result.IsLockedOut ? "locked" : "invalid";
            return Results.Redirect($"/login?error={error}&returnUrl={Uri.EscapeDataString(back)}");
        }).AllowAnonymous().RequireRateLimiting(Renmai.Hosting.WebHardening.LoginPolicy);

        app.MapPost("/account/login/2fa", async ([FromForm] string? code, [FromForm] string? returnUrl,
            SignInManager<RenmaiUser> signIn, UserManager<RenmaiUser> users, AuditLog audit, HttpContext http) =>
        {
            var back = SafeReturn(returnUrl);
            var user = await signIn.GetTwoFactorAuthenticationUserAsync();
            if (user is null) return Results.Redirect($"/login?error=expired&returnUrl={Uri.EscapeDataString(back)}");
            var input = (code ?? "").Trim();
            var digits = new string(input.Where(char.IsAsciiDigit).ToArray());
            var isTotp = digits.Length == 6 && input.All(c => char.IsAsciiDigit(c) || c == ' ');
            Microsoft.AspNetCore.Identity.SignInResult result;
            if (isTotp) result = await signIn.TwoFactorAuthenticatorSignInAsync(digits, isPersistent: false, rememberClient: false);
            else if (await users.IsLockedOutAsync(user)) result = Microsoft.AspNetCore.Identity.SignInResult.LockedOut;
            else
            {
                // Recovery codes are upper-case letters and digits (XXXXX-XXXXX); accept them typed in lower case or with spaces.
                result = await signIn.TwoFactorRecoveryCodeSignInAsync(input.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant());
                if (!result.Succeeded)
                {
                    // Identity does not count wrong recovery codes; Renmai does, like wrong passwords and codes.
                    await users.AccessFailedAsync(user);
                    if (await users.IsLockedOutAsync(user)) result = Microsoft.AspNetCore.Identity.SignInResult.LockedOut;
                }
            }
            if (result.Succeeded)
            {
                await audit.WriteAsync(isTotp ? AuditActions.TwoFactorLoginSucceeded : AuditActions.RecoveryCodeUsed, true, http,
                    user.Id, user.DisplayName, user.Email, isTotp ? null : $"剩余恢复码 {await users.CountRecoveryCodesAsync(user)} 个");
                return Results.LocalRedirect(back);
            }
            await audit.WriteAsync(result.IsLockedOut ? AuditActions.LoginLockedOut : AuditActions.TwoFactorLoginFailed, false, http,
                user.Id, user.DisplayName, user.Email, result.IsLockedOut ? "账号已锁定" : isTotp ? "验证码错误" : "恢复码错误");
            if (result.IsLockedOut) return Results.Redirect($"/login?error=locked&returnUrl={Uri.EscapeDataString(back)}");
            return Results.Redirect($"/login/2fa?error=invalid&returnUrl={Uri.EscapeDataString(back)}");
        }).AllowAnonymous().RequireRateLimiting(Renmai.Hosting.WebHardening.LoginPolicy);

        app.MapPost("/account/logout", async (SignInManager<RenmaiUser> signIn, AuditLog audit, HttpContext http) =>
        {
            var actor = CurrentActor.FromPrincipal(http.User);
            await signIn.SignOutAsync();
            await audit.WriteAsync(AuditActions.Logout, true, http, actor.UserId, actor.Name, http.User.Identity?.Name);
            return Results.Redirect("/login");
        });

        app.MapPost("/setup", async ([FromForm] string code, [FromForm] string email, [FromForm] string displayName,
            [FromForm] string password, [FromForm] string confirm, SetupCode setupCode, SetupState state,
            UserService userService, SignInManager<RenmaiUser> signIn, AuditLog audit, HttpContext http) =>
        {
            if (state.HasUsers) return Results.Redirect("/login");
            if (password != confirm) return Results.Redirect("/setup?error=" + Uri.EscapeDataString("两次输入的密码不一致"));
            var current = setupCode.Current;
            if (current is null || !setupCode.TryConsume(code))
            {
                await audit.WriteAsync(AuditActions.SetupCodeRejected, false, http, target: email);
                return Results.Redirect("/setup?error=" + Uri.EscapeDataString("设置代码不正确，请查看服务器日志中的一次性设置代码"));
            }
            try
            {
                var user = await userService.CreateAsync(email, password, Roles.Admin, displayName);
                state.HasUsers = true;
                await audit.WriteAsync(AuditActions.SetupAdminCreated, true, http, user.Id, user.DisplayName, user.Email);
                await signIn.SignInAsync(user, isPersistent: false);
                return Results.Redirect("/");
            }
            catch (ValidationFailedException ex)
            {
                setupCode.Restore(current);
                var msg = string.Join("；", ex.Errors.Fields.SelectMany(f => f.Value));
                return Results.Redirect("/setup?error=" + Uri.EscapeDataString(msg));
            }
        }).AllowAnonymous();

        app.MapGet("/culture", (string c, string? returnUrl, HttpContext http) =>
        {
            var culture = c == "en" ? "en" : "zh-CN";
            http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax });
            return Results.LocalRedirect(SafeReturn(returnUrl));
        }).AllowAnonymous();

        // Activity inside a Blazor circuit (see App.razor): a request that lets the cookie's idle timer slide.
        app.MapGet("/account/ping", () => Results.NoContent());

        // After a change made in a Blazor circuit (which cannot set cookies): reissue the cookie with fresh claims.
        app.MapGet("/account/refresh", async (string? returnUrl, SignInManager<RenmaiUser> signIn, HttpContext http) =>
        {
            if (await signIn.UserManager.GetUserAsync(http.User) is { } user) await signIn.RefreshSignInAsync(user);
            return Results.LocalRedirect(SafeReturn(returnUrl));
        });
    }

    /// <summary>Only local paths, so the login form cannot be used as an open redirect.</summary>
    private static string SafeReturn(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url : "/";
}
