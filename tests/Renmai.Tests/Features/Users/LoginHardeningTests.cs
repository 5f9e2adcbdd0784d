using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Customers;
using Renmai.Features.Settings;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Users;

/// <summary>The password presets and the settings section, without a host.</summary>
public sealed class PasswordPolicyTests
{
    [Theory]
    [InlineData("woaini1314")]
    [InlineData("WoAiNi1314")]
    [InlineData("qq123456")]
    [InlineData("a123456")]
    [InlineData("5201314")]
    [InlineData("zhangwei123")]
    [InlineData("password1")]
    [InlineData("19880808")]
    public void Asvs_blocks_common_passwords_case_insensitively(string password)
    {
        var errors = PasswordPolicy.Check(password, PasswordPreset.Asvs);
        Assert.Contains(errors, e => e.Contains("常见密码", StringComparison.Ordinal));
    }

    [Fact]
    public void The_common_password_list_is_large() => Assert.True(PasswordPolicy.CommonCount >= 3000, $"only {PasswordPolicy.CommonCount}");

    [Fact]
    public void Asvs_allows_a_long_passphrase_without_symbols_digits_or_capitals() =>
        Assert.Empty(PasswordPolicy.Check("west lake tea in spring rain", PasswordPreset.Asvs));

    [Theory]
    [InlineData("short1", "至少需要 8 位")]
    [InlineData(null, "不能超过 128 位")]
    public void Asvs_checks_length_only(string? password, string message)
    {
        password ??= new string('x', 129);
        Assert.Contains(PasswordPolicy.Check(password, PasswordPreset.Asvs), e => e.Contains(message, StringComparison.Ordinal));
        Assert.Empty(PasswordPolicy.Check(new string('k', 64) + "x", PasswordPreset.Asvs)); // 64+ characters are fine
    }

    [Theory]
    [InlineData("west lake tea in spring rain", false)] // lower case and a space (a symbol): 2 classes
    [InlineData("renmaicrm2026", false)]               // lower + digit
    [InlineData("Renmaicrm2026", true)]                // upper + lower + digit
    [InlineData("renmai-crm-2026", true)]              // lower + symbol + digit
    [InlineData("Renmai#Crm", true)]                   // upper + lower + symbol
    public void DengBao_requires_three_of_four_classes(string password, bool ok)
    {
        var errors = PasswordPolicy.Check(password, PasswordPreset.DengBao);
        if (ok) Assert.Empty(errors);
        else Assert.Contains(errors, e => e.Contains("至少三类", StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_validation_names_the_field()
    {
        var s = new SecuritySettings { Require2FaRoles = ["admin", "boss"], IdleTimeoutMinutes = 2, AbsoluteTimeoutHours = 1000, PasswordMaxAgeDays = 0 };
        var e = new ValidationErrors();
        s.Validate(e);
        Assert.Contains("boss", e.For("require2FaRoles"), StringComparison.Ordinal);
        Assert.NotNull(e.For("idleTimeoutMinutes"));
        Assert.NotNull(e.For("absoluteTimeoutHours"));
        Assert.NotNull(e.For("passwordMaxAgeDays"));

        var tooLongIdle = new SecuritySettings { IdleTimeoutMinutes = 180, AbsoluteTimeoutHours = 2 };
        var e2 = new ValidationErrors();
        tooLongIdle.Validate(e2);
        Assert.Equal("空闲超时不能长于最长登录时间", e2.For("idleTimeoutMinutes"));

        var fine = new ValidationErrors();
        new SecuritySettings().Validate(fine);
        Assert.False(fine.Any);
    }

    [Fact]
    public void The_secret_is_shown_in_groups_of_four() =>
        Assert.Equal("abcd efgh ij", AccountSecurityService.Group("ABCDEFGHIJ"));
}

/// <summary>Login hardening through the real login forms and services, on both databases.</summary>
public abstract class LoginHardeningTests(TestDatabase database) : IAsyncLifetime
{
    private const string Password = "Renmai#2026-test";
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(database, _clock);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task SaveSettingsAsync(SecuritySettings s)
    {
        const string admin = "settings-admin@example.com";
        if (!await _app.WithDbAsync(db => db.Users.AnyAsync(u => u.Email == admin))) await _app.AddUserAsync(admin, Roles.Admin);
        await _app.AsUserAsync(admin, sp => sp.GetRequiredService<SettingsService>().SaveAsync(s));
    }

    [Fact]
    public async Task Only_admins_save_security_settings_and_invalid_values_are_refused_by_field()
    {
        await _app.AddUserAsync("rep@example.com", Roles.Rep);
        await Assert.ThrowsAsync<ForbiddenException>(() =>
            _app.AsUserAsync("rep@example.com", sp => sp.GetRequiredService<SettingsService>().SaveAsync(new SecuritySettings())));
        await _app.AddUserAsync("boss@example.com", Roles.Admin);
        var ex = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("boss@example.com",
            sp => sp.GetRequiredService<SettingsService>().SaveAsync(new SecuritySettings { IdleTimeoutMinutes = 1 })));
        Assert.NotNull(ex.Errors.For("idleTimeoutMinutes"));
        await _app.AsUserAsync("boss@example.com", sp => sp.GetRequiredService<SettingsService>()
            .SaveAsync(new SecuritySettings { PasswordPreset = PasswordPreset.DengBao, Require2FaRoles = [Roles.Admin] }));
        var saved = await _app.Services.GetRequiredService<AppSettings>().GetAsync<SecuritySettings>();
        Assert.Equal(PasswordPreset.DengBao, saved.PasswordPreset);
        Assert.True(await _app.WithDbAsync(db => db.Set<AuditEvent>().AnyAsync(a => a.Action == AuditActions.SettingsChanged && a.Target == "安全设置")));
    }

    [Fact]
    public async Task Creating_a_user_follows_the_chosen_preset()
    {
        await SaveSettingsAsync(new SecuritySettings { PasswordPreset = PasswordPreset.DengBao });
        await using var scope = _app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().Set(Actor.System);
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var ex = await Assert.ThrowsAsync<ValidationFailedException>(() => users.CreateAsync("weak@example.com", "renmaicrm2026", Roles.Rep));
        Assert.Contains("至少三类", ex.Errors.For("password"), StringComparison.Ordinal);
        await users.CreateAsync("strong@example.com", "Renmaicrm2026", Roles.Rep);
    }

    [Fact]
    public async Task An_expired_password_must_be_changed_before_anything_else_and_not_to_itself()
    {
        await SaveSettingsAsync(new SecuritySettings { PasswordPreset = PasswordPreset.DengBao, PasswordMaxAgeDays = 90 });
        await _app.AddUserAsync("old@example.com", Roles.Rep);
        using (var fresh = new LoginBrowser(_app))
        {
            Assert.Equal("/", (await fresh.LoginAsync("old@example.com", Password)).Headers.Location?.OriginalString);
            Assert.Equal(HttpStatusCode.OK, (await fresh.Http.GetAsync("/api/v1/customers")).StatusCode);
        }

        _clock.Advance(TimeSpan.FromDays(91));
        using var browser = new LoginBrowser(_app);
        Assert.Equal("/", (await browser.LoginAsync("old@example.com", Password)).Headers.Location?.OriginalString);
        var page = await browser.Http.GetAsync("/customers");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/account/security?reason=password", page.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.Http.GetAsync("/api/v1/customers")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/account/security")).StatusCode);

        // The same password again is refused; a new one opens the app.
        var same = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("old@example.com",
            sp => sp.GetRequiredService<AccountSecurityService>().ChangePasswordAsync(Password, Password, Password)));
        Assert.Equal("新密码不能与当前密码相同", same.Errors.For("newPassword"));
        await _app.AsUserAsync("old@example.com",
            sp => sp.GetRequiredService<AccountSecurityService>().ChangePasswordAsync(Password, "Renmai-new-2027", "Renmai-new-2027"));
        using var after = new LoginBrowser(_app);
        await after.LoginAsync("old@example.com", "Renmai-new-2027");
        Assert.Equal(HttpStatusCode.OK, (await after.Http.GetAsync("/api/v1/customers")).StatusCode);
    }

    [Fact]
    public async Task A_role_that_requires_2fa_is_sent_to_enrolment_and_api_tokens_still_work()
    {
        await SaveSettingsAsync(new SecuritySettings { Require2FaRoles = [Roles.Manager] });
        var token = await _app.ClientAsync(Roles.Manager, "mgr@example.com");
        using var browser = new LoginBrowser(_app);
        await browser.LoginAsync("mgr@example.com", Password);
        var page = await browser.Http.GetAsync("/customers");
        Assert.Equal("/account/security?reason=2fa", page.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.Http.GetAsync("/api/v1/customers")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync("/api/v1/customers")).StatusCode);
    }

    [Fact]
    public async Task Totp_login_needs_the_code_counts_wrong_codes_and_accepts_a_recovery_code_once()
    {
        await _app.AddUserAsync("two@example.com", Roles.Rep);
        IReadOnlyList<string> codes = [];
        await _app.AsUserAsync("two@example.com", async sp =>
        {
            var security = sp.GetRequiredService<AccountSecurityService>();
            await Assert.ThrowsAsync<ReauthenticationRequiredException>(security.StartAuthenticatorAsync);
            await Assert.ThrowsAsync<ValidationFailedException>(() => security.ConfirmPasswordAsync("wrong-password"));
            await security.ConfirmPasswordAsync(Password);
            var setup = await security.StartAuthenticatorAsync();
            Assert.StartsWith("data:image/png;base64,", setup.QrDataUri, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ValidationFailedException>(() => security.EnableAuthenticatorAsync("000000"));
            codes = await security.EnableAuthenticatorAsync(Totp.Code(setup.Secret, DateTimeOffset.UtcNow));
        });
        Assert.Equal(10, codes.Count);
        var user = await _app.WithDbAsync(db => db.Users.SingleAsync(u => u.Email == "two@example.com"));
        var key = await _app.WithDbAsync(db => db.UserTokens.Where(t => t.UserId == user.Id && t.Name == "AuthenticatorKey").Select(t => t.Value).SingleAsync());

        using var browser = new LoginBrowser(_app);
        var first = await browser.LoginAsync("two@example.com", Password);
        Assert.StartsWith("/login/2fa", first.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Http.GetAsync("/api/v1/customers")).StatusCode);
        var nearby = Enumerable.Range(-3, 7).Select(i => Totp.Code(key!, DateTimeOffset.UtcNow.AddSeconds(30 * i))).ToHashSet();
        var wrong = await browser.SecondStepAsync(new[] { "123456", "654321", "111111" }.First(c => !nearby.Contains(c)));
        Assert.StartsWith("/login/2fa?error=invalid", wrong.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Users.Where(u => u.Id == user.Id).Select(u => u.AccessFailedCount).SingleAsync()));
        var ok = await browser.SecondStepAsync(Totp.Code(key!, DateTimeOffset.UtcNow));
        Assert.Equal("/", ok.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/api/v1/customers")).StatusCode);

        using var lostPhone = new LoginBrowser(_app);
        await lostPhone.LoginAsync("two@example.com", Password);
        Assert.Equal("/", (await lostPhone.SecondStepAsync(" " + codes[0].ToLowerInvariant() + " ")).Headers.Location?.OriginalString);
        using var again = new LoginBrowser(_app);
        await again.LoginAsync("two@example.com", Password);
        Assert.StartsWith("/login/2fa?error=invalid", (await again.SecondStepAsync(codes[0])).Headers.Location?.OriginalString, StringComparison.Ordinal);
        // Phone and codes lost: only an admin can turn it off; the user's sessions end.
        await _app.AddUserAsync("it@example.com", Roles.Admin);
        await Assert.ThrowsAsync<ForbiddenException>(() =>
            _app.AsUserAsync("two@example.com", sp => sp.GetRequiredService<AccountSecurityService>().ResetTwoFactorForAsync(user.Id)));
        await _app.AsUserAsync("it@example.com", sp => sp.GetRequiredService<AccountSecurityService>().ResetTwoFactorForAsync(user.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Http.GetAsync("/api/v1/customers")).StatusCode);
        using var reset = new LoginBrowser(_app);
        Assert.Equal("/", (await reset.LoginAsync("two@example.com", Password)).Headers.Location?.OriginalString);

        var actions = await _app.WithDbAsync(db => db.Set<AuditEvent>().Where(a => a.UserId == user.Id).Select(a => a.Action).ToListAsync());
        Assert.Contains(AuditActions.TwoFactorEnabled, actions);
        Assert.Contains(AuditActions.TwoFactorLoginFailed, actions);
        Assert.Contains(AuditActions.TwoFactorLoginSucceeded, actions);
        Assert.Contains(AuditActions.RecoveryCodeUsed, actions);
    }

    [Fact]
    public async Task EndSessionsAsync_ends_a_cookie_at_once_and_a_new_login_works()
    {
        await _app.AddUserAsync("li@example.com", Roles.Rep);
        await _app.AddUserAsync("admin@example.com", Roles.Admin);
        using var browser = new LoginBrowser(_app);
        await browser.LoginAsync("li@example.com", Password);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/api/v1/customers")).StatusCode);
        var li = await _app.WithDbAsync(db => db.Users.SingleAsync(u => u.Email == "li@example.com"));

        // Another user may not end li's sessions; an admin may.
        await _app.AddUserAsync("zhao@example.com", Roles.Rep);
        await Assert.ThrowsAsync<ForbiddenException>(() =>
            _app.AsUserAsync("zhao@example.com", sp => sp.GetRequiredService<UserSessions>().EndSessionsAsync(li.Id)));
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/api/v1/customers")).StatusCode);
        await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<UserSessions>().EndSessionsAsync(li.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Http.GetAsync("/api/v1/customers")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/customers")).StatusCode);

        using var again = new LoginBrowser(_app);
        await again.LoginAsync("li@example.com", Password);
        Assert.Equal(HttpStatusCode.OK, (await again.Http.GetAsync("/api/v1/customers")).StatusCode);
    }

    [Fact]
    public async Task Sessions_end_after_the_idle_timeout_and_after_the_absolute_timeout_even_when_used()
    {
        await SaveSettingsAsync(new SecuritySettings { IdleTimeoutMinutes = 30, AbsoluteTimeoutHours = 1 });
        await _app.AddUserAsync("long@example.com", Roles.Rep);
        using var busy = new LoginBrowser(_app);
        await busy.LoginAsync("long@example.com", Password);
        for (var i = 0; i < 3; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(20));
            Assert.Equal(HttpStatusCode.OK, (await busy.Http.GetAsync("/api/v1/customers")).StatusCode);
        }
        _clock.Advance(TimeSpan.FromMinutes(20)); // 80 min after login: over the 1 h limit, though used every 20 min
        Assert.Equal(HttpStatusCode.Unauthorized, (await busy.Http.GetAsync("/api/v1/customers")).StatusCode);

        using var idle = new LoginBrowser(_app);
        await idle.LoginAsync("long@example.com", Password);
        _clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(HttpStatusCode.Unauthorized, (await idle.Http.GetAsync("/api/v1/customers")).StatusCode);
    }

    [Fact]
    public async Task A_deactivated_user_cannot_log_in_and_their_api_token_stops_at_once()
    {
        await _app.AddUserAsync("admin@example.com", Roles.Admin);
        var token = await _app.ClientAsync(Roles.Rep, "gone@example.com");
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync("/api/v1/customers")).StatusCode);
        using var browser = new LoginBrowser(_app);
        await browser.LoginAsync("gone@example.com", Password);

        var gone = await _app.WithDbAsync(db => db.Users.SingleAsync(u => u.Email == "gone@example.com"));
        await _app.WithDbAsync(async db =>
        {
            await db.Users.Where(u => u.Id == gone.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.IsActive, false));
            return 0;
        });
        await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<UserSessions>().EndSessionsAsync(gone.Id));

        Assert.Equal(HttpStatusCode.Unauthorized, (await token.GetAsync("/api/v1/customers")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Http.GetAsync("/api/v1/customers")).StatusCode);
        using var again = new LoginBrowser(_app);
        Assert.StartsWith("/login?error=inactive", (await again.LoginAsync("gone@example.com", Password)).Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.StartsWith("/login?error=invalid", (await again.LoginAsync("gone@example.com", "wrong-one-1")).Headers.Location?.OriginalString, StringComparison.Ordinal);
        var page = WebUtility.HtmlDecode(await again.Http.GetStringAsync("/login?error=inactive"));
        Assert.Contains("账号已停用", page, StringComparison.Ordinal);
    }
}

public sealed class LoginHardeningTestsOnSqlite() : LoginHardeningTests(TestDatabase.Sqlite);

public sealed class LoginHardeningTestsOnPostgres() : LoginHardeningTests(TestDatabase.Postgres);
