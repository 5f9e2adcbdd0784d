using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using QRCoder;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Customers;
using Renmai.Features.Settings;

namespace Renmai.Features.Users;

public sealed record AccountSecurityStatus(string Email, string? Phone, bool TwoFactorEnabled, int RecoveryCodesLeft,
    DateTime PasswordChangedAt, GateReason MustDo, bool TwoFactorRequired, PasswordPreset Preset);

public sealed record AuthenticatorSetup(string Secret, string GroupedSecret, string Uri, string QrDataUri);

/// <summary>Thrown when a change needs the password entered again (more than 5 minutes ago or never in this session).</summary>
public sealed class ReauthenticationRequiredException() : Exception("请先输入当前密码确认身份");

/// <summary>
/// The signed-in user's own login security on /account/security: password, e-mail, phone, two-factor
/// login. Every method acts on the current actor's own account. E-mail, phone and 2FA changes need the
/// password confirmed within <see cref="ReauthWindow"/> in this session (circuit).
/// </summary>
public sealed class AccountSecurityService(UserManager<RenmaiUser> users, CurrentActor current, UserSessions sessions,
    AppSettings settings, AuditLog audit, IHttpContextAccessor http, TimeProvider clock, LoginGate gate,
    IServiceProvider services)
{
    public static readonly TimeSpan ReauthWindow = TimeSpan.FromMinutes(5);
    public const string Issuer = "人脉 Renmai";
    private DateTime? _confirmedAt;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public bool RecentlyConfirmed => _confirmedAt is { } at && Now - at <= ReauthWindow;

    public async Task<AccountSecurityStatus> GetStatusAsync()
    {
        var (user, _) = await MeAsync();
        var roles = await users.GetRolesAsync(user);
        var s = await settings.GetAsync<SecuritySettings>();
        return new AccountSecurityStatus(user.Email ?? "", user.PhoneNumber, user.TwoFactorEnabled,
            user.TwoFactorEnabled ? await users.CountRecoveryCodesAsync(user) : 0, user.PasswordChangedAt ?? user.CreatedAt,
            await gate.ForUserAsync(user, roles), s.Requires2Fa(roles), s.PasswordPreset);
    }

    /// <summary>The re-authentication step: wrong passwords count towards lockout like at login.</summary>
    public async Task ConfirmPasswordAsync(string password)
    {
        var (user, actor) = await MeAsync();
        var signIn = services.GetRequiredService<SignInManager<RenmaiUser>>();
        var result = await signIn.CheckPasswordSignInAsync(user, password ?? "", lockoutOnFailure: true);
        if (!result.Succeeded)
        {
            await audit.WriteAsync(AuditActions.LoginFailed, false, http.HttpContext, actor.UserId, actor.Name, user.Email, "确认身份：密码错误");
            var e = new ValidationErrors();
            e.Add("confirmPassword", result.IsLockedOut ? "密码错误次数过多，账号已临时锁定" : "密码不正确");
            e.ThrowIfAny();
        }
        _confirmedAt = Now;
    }

    public async Task ChangePasswordAsync(string currentPassword, string newPassword, string confirm)
    {
        var (user, actor) = await MeAsync();
        var e = new ValidationErrors();
        if (string.IsNullOrEmpty(currentPassword)) e.Add("currentPassword", "请输入当前密码");
        if (string.IsNullOrEmpty(newPassword)) e.Add("newPassword", "请输入新密码");
        else if (newPassword != confirm) e.Add("confirmPassword", "两次输入的新密码不一致");
        e.ThrowIfAny();
        var result = await users.ChangePasswordAsync(user, currentPassword, newPassword);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
                e.Add(error.Code == nameof(IdentityErrorDescriber.PasswordMismatch) ? "currentPassword" : "newPassword", error.Description);
            e.ThrowIfAny();
        }
        user.PasswordChangedAt = Now;
        await users.UpdateAsync(user);
        await sessions.EndOtherSessionsAsync(user, await SessionIdAsync());
        await audit.WriteAsync(AuditActions.PasswordChanged, true, http.HttpContext, actor.UserId, actor.Name, user.Email);
    }

    public async Task ChangeEmailAsync(string email)
    {
        var (user, actor) = await MeAsync();
        RequireRecentConfirmation();
        email = (email ?? "").Trim();
        var e = new ValidationErrors();
        if (Validators.CheckEmail(email) is { } error) e.Add("email", error);
        else if (string.Equals(email, user.Email, StringComparison.OrdinalIgnoreCase)) e.Add("email", "新邮箱与当前邮箱相同");
        e.ThrowIfAny();
        var old = user.Email;
        var result = await users.SetEmailAsync(user, email);
        if (result.Succeeded) result = await users.SetUserNameAsync(user, email);
        if (!result.Succeeded)
        {
            foreach (var x in result.Errors) e.Add("email", x.Description);
            e.ThrowIfAny();
        }
        user.EmailConfirmed = true;
        await users.UpdateAsync(user);
        await sessions.EndOtherSessionsAsync(user, await SessionIdAsync());
        await audit.WriteAsync(AuditActions.EmailChanged, true, http.HttpContext, actor.UserId, actor.Name, email, $"{old} → {email}");
    }

    public async Task ChangePhoneAsync(string? phone)
    {
        var (user, actor) = await MeAsync();
        RequireRecentConfirmation();
        phone = string.IsNullOrWhiteSpace(phone) ? null : phone.Trim();
        var e = new ValidationErrors();
        if (phone is not null && (phone.Length is < 5 or > 20 || !phone.All(c => char.IsAsciiDigit(c) || c is '+' or '-' or ' ')))
            e.Add("phone", "手机号格式不正确（例如 13812345678）");
        e.ThrowIfAny();
        await users.SetPhoneNumberAsync(user, phone);
        await sessions.EndOtherSessionsAsync(user, await SessionIdAsync());
        await audit.WriteAsync(AuditActions.PhoneChanged, true, http.HttpContext, actor.UserId, actor.Name, user.Email);
    }

    /// <summary>The authenticator key to enrol (a new one unless enrolment is already under way), with its QR code.</summary>
    public async Task<AuthenticatorSetup> StartAuthenticatorAsync()
    {
        var (user, _) = await MeAsync();
        RequireRecentConfirmation();
        if (user.TwoFactorEnabled) throw new ForbiddenException("两步验证已启用");
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            await users.ResetAuthenticatorKeyAsync(user);
            key = await users.GetAuthenticatorKeyAsync(user) ?? throw new InvalidOperationException("no authenticator key");
        }
        var label = Uri.EscapeDataString(Issuer + ":" + (user.Email ?? user.UserName));
        var uri = $"otpauth://totp/{label}?secret={key}&issuer={Uri.EscapeDataString(Issuer)}&digits=6&period=30";
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(5);
        return new AuthenticatorSetup(key, Group(key), uri, "data:image/png;base64," + Convert.ToBase64String(png));
    }

    /// <summary>Turns two-factor login on when the code from the app is right; returns the 10 recovery codes (shown once).</summary>
    public async Task<IReadOnlyList<string>> EnableAuthenticatorAsync(string code)
    {
        var (user, actor) = await MeAsync();
        RequireRecentConfirmation();
        var e = new ValidationErrors();
        code = new string((code ?? "").Where(char.IsAsciiDigit).ToArray());
        if (code.Length != 6 || !await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, code))
        {
            e.Add("code", "验证码不正确，请输入验证器 App 显示的 6 位数字（注意手机时间要准确）");
            e.ThrowIfAny();
        }
        await users.SetTwoFactorEnabledAsync(user, true);
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))?.ToList() ?? [];
        await sessions.EndOtherSessionsAsync(user, await SessionIdAsync());
        await audit.WriteAsync(AuditActions.TwoFactorEnabled, true, http.HttpContext, actor.UserId, actor.Name, user.Email);
        return codes;
    }

    public async Task<IReadOnlyList<string>> RegenerateRecoveryCodesAsync()
    {
        var (user, actor) = await MeAsync();
        RequireRecentConfirmation();
        if (!user.TwoFactorEnabled) throw new ForbiddenException("请先启用两步验证");
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))?.ToList() ?? [];
        await audit.WriteAsync(AuditActions.RecoveryCodesRegenerated, true, http.HttpContext, actor.UserId, actor.Name, user.Email);
        return codes;
    }

    /// <summary>Turns two-factor login off and forgets the key (not allowed when the user's role requires it).</summary>
    public async Task DisableAuthenticatorAsync()
    {
        var (user, actor) = await MeAsync();
        RequireRecentConfirmation();
        if ((await settings.GetAsync<SecuritySettings>()).Requires2Fa(await users.GetRolesAsync(user)))
            throw new ForbiddenException("您的角色要求使用两步验证，不能关闭");
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user);
        await sessions.EndOtherSessionsAsync(user, await SessionIdAsync());
        await audit.WriteAsync(AuditActions.TwoFactorDisabled, true, http.HttpContext, actor.UserId, actor.Name, user.Email);
    }

    /// <summary>
    /// Admin only: turns another user's two-factor login off (lost phone and recovery codes) and ends all their
    /// sessions. If their role requires 2FA they must enrol again at the next login.
    /// </summary>
    public async Task ResetTwoFactorForAsync(Guid userId)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin);
        var user = await users.FindByIdAsync(userId.ToString()) ?? throw new NotFoundException("用户不存在");
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user);
        await sessions.EndOtherSessionsAsync(user, null);
        await audit.WriteAsync(AuditActions.TwoFactorDisabled, true, http.HttpContext, actor.UserId, actor.Name, user.Email, "管理员重置");
    }

    /// <summary>"ABCD EFGH …": the secret in groups of 4 for typing into an app.</summary>
    public static string Group(string key)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(key.AsSpan(i, Math.Min(4, key.Length - i)));
        }
        return sb.ToString().ToLower(CultureInfo.InvariantCulture);
    }

    private void RequireRecentConfirmation()
    {
        if (!RecentlyConfirmed) throw new ReauthenticationRequiredException();
    }

    private async Task<(RenmaiUser User, Actor Actor)> MeAsync()
    {
        var actor = await current.RequireAsync();
        if (actor.Source != ChangeSource.User || actor.UserId is not { } id) throw new ForbiddenException("只能在网页上修改自己的登录安全设置");
        var user = await users.FindByIdAsync(id.ToString()) ?? throw new ForbiddenException("请先登录");
        return (user, actor);
    }

    private async Task<string?> SessionIdAsync()
    {
        ClaimsPrincipal? p = http.HttpContext?.User;
        if (p?.Identity?.IsAuthenticated != true && services.GetService<AuthenticationStateProvider>() is { } auth)
        {
            try { p = (await auth.GetAuthenticationStateAsync()).User; }
            catch (InvalidOperationException) { p = null; }
        }
        return p?.FindFirstValue(SessionClaims.SessionId);
    }
}
