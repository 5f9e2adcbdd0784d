using System.Security.Cryptography;
using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>
/// A rep enrols an authenticator app on /account/security (the code computed here from the secret the
/// page shows, as the app would), then logs in with password + code, and with a recovery code.
/// </summary>
[Collection(SeededServerCollection.Name)]
public sealed class TwoFactorTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task Enrol_totp_then_log_in_with_a_code_and_with_a_recovery_code() => RunAsync(async () =>
    {
        const string email = "totp-rep@renmai.test";
        const string password = "Renmai-totp-2026";
        await Server.AddUserAsync(email, password, "rep", "周销售");
        await Page.LoginAsync(Server, email, password);

        // The user menu leads to the security page.
        await Page.GetByTestId("user-menu").ClickAsync();
        await Page.GetByTestId("menu-account-security").ClickAsync();
        await Page.ExpectPathAsync("/account/security");
        await Page.WaitForInteractiveAsync();

        // Turning 2FA on first asks for the password again.
        await Page.GetByTestId("2fa-start").ClickAsync();
        await Page.GetByTestId("reauth-password").TextInput().FillAndBlurAsync(password);
        await Page.GetByTestId("reauth-submit").ClickAsync();
        await Expect(Page.GetByTestId("totp-qr")).ToBeVisibleAsync();
        var grouped = (await Page.GetByTestId("totp-secret").InnerTextAsync()).Trim();
        Assert.Matches("^([a-z2-7]{4} )+[a-z2-7]{1,4}$", grouped);
        await Screenshots.SaveAsync(Page, "account-security-enrol.png");

        await Page.GetByTestId("totp-code").TextInput().FillAndBlurAsync(Totp.Code(grouped, DateTimeOffset.UtcNow));
        await Page.GetByTestId("totp-verify").ClickAsync();
        var codes = Page.GetByTestId("recovery-codes").Locator("li");
        await Expect(codes).ToHaveCountAsync(10);
        var recovery = (await codes.AllInnerTextsAsync()).Select(c => c.Trim()).ToList();
        await Screenshots.SaveAsync(Page, "account-security-recovery-codes.png");
        await DoneWithRecoveryCodesAsync();
        await Expect(Page.GetByTestId("2fa-status")).ToContainTextAsync("剩余恢复码：10 个");
        await Screenshots.SaveAsync(Page, "account-security.png");
        await Page.LogoutAsync();

        // Password alone is not enough: the second step asks for the code.
        await SignInWithSecondStepAsync(email, password, Totp.Code(grouped, DateTimeOffset.UtcNow), screenshot: true);
        await Page.LogoutAsync();

        // Phone lost: a recovery code instead of the code, once.
        await SignInWithSecondStepAsync(email, password, recovery[0]);
        await Page.GotoAsync(Server, "/account/security");
        await Expect(Page.GetByTestId("2fa-status")).ToContainTextAsync("剩余恢复码：9 个");
    });

    private async Task SignInWithSecondStepAsync(string email, string password, string code, bool screenshot = false)
    {
        await Page.GotoAsync(Server.Url("/login"));
        await Page.Locator("#email").FillAsync(email);
        await Page.Locator("#password").FillAsync(password);
        await Page.Locator("#login-submit").ClickAsync();
        await Page.ExpectPathAsync("/login/2fa");
        if (screenshot) await Screenshots.SaveAsync(Page, "login-2fa.png");
        await Page.Locator("#code").FillAsync(code);
        await Page.Locator("#twofactor-submit").ClickAsync();
        await Page.ExpectPathAsync("/customers");
        await Page.WaitForInteractiveAsync();
        await Expect(Page.GetByTestId("customer-table")).ToBeVisibleAsync();
    }

    [Fact]
    public Task Changing_the_password_ends_the_other_open_session_at_once_and_keeps_this_one() => RunAsync(async () =>
    {
        const string email = "two-tabs@renmai.test";
        const string password = "Renmai-tabs-2026";
        await Server.AddUserAsync(email, password, "rep", "吴销售");
        // The other device: an open page (a live Blazor circuit).
        await Page.LoginAsync(Server, email, password);
        await Page.OpenListAsync(Server);

        var here = await NewPageAsync();
        await here.LoginAsync(Server, email, password);
        await here.GotoAsync(Server, "/account/security");
        await here.GetByTestId("pw-current").TextInput().FillAndBlurAsync(password);
        await here.GetByTestId("pw-new").TextInput().FillAndBlurAsync("Renmai-tabs-2027");
        await here.GetByTestId("pw-confirm").TextInput().FillAndBlurAsync("Renmai-tabs-2027");
        await here.GetByTestId("pw-save").ClickAsync();
        await Expect(here.GetByText("密码已修改，其他设备上的登录已退出")).ToBeVisibleAsync();

        // The other page is signed out without touching it (no waiting for a revalidation interval).
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"), new() { Timeout = 10_000 });
        // This one goes on, with a reissued cookie.
        await here.OpenListAsync(Server);
        await here.GotoAsync(Server, "/account/security");
        await Expect(here.GetByTestId("section-password")).ToBeVisibleAsync();
    });

    [Fact]
    public Task A_role_that_requires_2fa_sees_only_the_enrolment_page_until_enrolled() => RunAsync(async () =>
    {
        const string email = "must-2fa@renmai.test";
        const string password = "Renmai-must-2026";
        await Server.AddUserAsync(email, password, "service", "郑客服");
        var admin = await NewPageAsync();
        await SetRequiredAsync(admin, "role-service", true);
        try
        {
            await Page.LoginAsync(Server, email, password);
            await Page.ExpectPathAsync("/account/security");
            await Expect(Page.GetByTestId("must-enrol-2fa")).ToBeVisibleAsync();
            await Screenshots.SaveAsync(Page, "account-security-required.png");
            // Neither a page load nor a click inside the live page gets elsewhere.
            await Page.GotoAsync(Server.Url("/customers"));
            await Page.ExpectPathAsync("/account/security");
            await Page.WaitForInteractiveAsync();
            await Page.Locator("a[href='/recycle-bin']").ClickAsync();
            // The guard sends the in-circuit navigation back: let that round trip finish before looking (the URL is
            // the same before and after it) and before clicking on the page it renders again.
            await Page.WaitForTimeoutAsync(1000);
            await Page.ExpectPathAsync("/account/security");
            await Expect(Page.GetByTestId("must-enrol-2fa")).ToBeVisibleAsync();
            await Page.WaitForInteractiveAsync();

            await Page.GetByTestId("2fa-start").ClickAsync();
            await Page.GetByTestId("reauth-password").TextInput().FillAndBlurAsync(password);
            await Page.GetByTestId("reauth-submit").ClickAsync();
            var grouped = (await Page.GetByTestId("totp-secret").InnerTextAsync()).Trim();
            await Page.GetByTestId("totp-code").TextInput().FillAndBlurAsync(Totp.Code(grouped, DateTimeOffset.UtcNow));
            await Page.GetByTestId("totp-verify").ClickAsync();
            await DoneWithRecoveryCodesAsync();
            await Expect(Page.GetByTestId("must-enrol-2fa")).ToHaveCountAsync(0);
            await Page.OpenListAsync(Server);
        }
        finally
        {
            await SetRequiredAsync(admin, "role-service", false);
        }
    });

    /// <summary>
    /// "我已保存恢复码" reloads the page through /account/refresh (a new sign-in cookie) and comes back to the same URL,
    /// so the URL cannot tell when the reload is done; the button is gone only once the new page is there. Navigating
    /// on before that aborted one navigation or the other (net::ERR_ABORTED in CI).
    /// </summary>
    private async Task DoneWithRecoveryCodesAsync()
    {
        await Page.GetByTestId("recovery-done").ClickAsync();
        await Expect(Page.GetByTestId("recovery-done")).ToHaveCountAsync(0);
        await Page.ExpectPathAsync("/account/security");
        await Page.WaitForInteractiveAsync();
    }

    private async Task SetRequiredAsync(IPage admin, string roleTestId, bool on)
    {
        if (!admin.Url.Contains("/settings/security", StringComparison.Ordinal))
            await admin.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await admin.GotoAsync(Server, "/settings/security");
        var target = admin.GetByTestId(roleTestId);
        var box = target.Locator("input[type=checkbox]").Or(target.And(admin.Locator("input[type=checkbox]"))).First;
        if (await box.IsCheckedAsync() != on) await box.ClickAsync();
        await Expect(box).ToBeCheckedAsync(new() { Checked = on });
        await admin.GetByTestId("security-save").ClickAsync();
        await Expect(admin.GetByText("安全设置已保存")).ToBeVisibleAsync();
    }

    [Fact]
    public Task Admin_sees_and_saves_the_security_settings() => RunAsync(async () =>
    {
        await Page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await Page.GotoAsync(Server, "/settings/security");
        await Expect(Page.GetByTestId("role-manager")).ToBeVisibleAsync();
        await Expect(Page.GetByText("审计员（只读）")).ToBeVisibleAsync();
        var idle = Page.GetByTestId("field-idleTimeoutMinutes").TextInput();
        await idle.FillAndBlurAsync("2");
        await Page.GetByTestId("security-save").ClickAsync();
        await Expect(Page.GetByText("空闲超时应在 5 到 1440 分钟之间")).ToBeVisibleAsync();
        await idle.FillAndBlurAsync("30");
        await Page.GetByTestId("security-save").ClickAsync();
        await Expect(Page.GetByText("安全设置已保存")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(Page, "settings-security.png");
    });
}

/// <summary>RFC 6238 TOTP (SHA-1, 6 digits, 30 s): what an authenticator app computes from the secret.</summary>
internal static class Totp
{
    public static string Code(string base32Secret, DateTimeOffset at)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var key = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in base32Secret.Replace(" ", "", StringComparison.Ordinal).TrimEnd('=').ToUpperInvariant())
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8) { key.Add((byte)(buffer >> (bits - 8))); bits -= 8; }
        }
        var msg = BitConverter.GetBytes(at.ToUnixTimeSeconds() / 30);
        if (BitConverter.IsLittleEndian) Array.Reverse(msg);
#pragma warning disable CA5350 // RFC 6238 TOTP is defined over HMAC-SHA1 (what every authenticator app uses)
        var hash = HMACSHA1.HashData(key.ToArray(), msg);
#pragma warning restore CA5350
        var o = hash[^1] & 0xF;
        var value = ((hash[o] & 0x7F) << 24) | (hash[o + 1] << 16) | (hash[o + 2] << 8) | hash[o + 3];
        return (value % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }
}
